// The account page's "copy the calendar URL" button; without JavaScript the URL field can be copied by hand.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy-target]");
  if (!button) return;
  var input = document.getElementById(button.dataset.copyTarget);
  var status = document.getElementById("calendar-copy-status");
  var say = function (text) { if (status) status.textContent = text; };
  input.select();
  var copied = navigator.clipboard ? navigator.clipboard.writeText(input.value) : Promise.reject();
  copied.then(function () { say(button.dataset.copied); }, function () {
    say(document.execCommand && document.execCommand("copy") ? button.dataset.copied : button.dataset.copyFailed);
  });
});
