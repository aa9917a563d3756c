// Behaviour that used to sit in inline handlers, which the Content-Security-Policy (script-src 'self') forbids:
// a form with data-confirm asks before it is sent; a button with data-print prints the page.
document.addEventListener("submit", function (event) {
  var form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});
