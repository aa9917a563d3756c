// 資料 inside the page: every [data-pdf-viewer] element shows its PDF with Mozilla's pdf.js, served by the
// app from static/vendor/pdfjs/ (make pdfjs). 前へ / 次へ, a page number, the arrow keys; the page fits
// the width of the screen (a tablet held either way) and is drawn again when that width changes.
//
// Hooks for the live pages ("follow the presenter"):
//   document.dispatchEvent(new CustomEvent("liaison:follow-page", {detail: {attachmentId: 12, page: 3}}))
//     turns the viewer of 資料 12 to page 3 (other viewers ignore it);
//   every page shown dispatches "liaison:page-shown" {attachmentId, page, pages} on document, so a console
//     can send the presenter's page to the tablets;
//   document.dispatchEvent(new CustomEvent("liaison:viewers-added")) starts the viewers put in the page since
//     (the live pages' presented 資料, static/live.js).
// If pdf.js cannot be loaded or the file cannot be read, the viewer says so; the download link stays.

let loading = null;

function startAll() {
  const viewers = Array.from(document.querySelectorAll("[data-pdf-viewer]:not([data-pdf-started])"));
  if (!viewers.length) return;
  viewers.forEach((root) => { root.dataset.pdfStarted = "1"; });
  loading = loading || import(viewers[0].dataset.pdfjs);
  loading.then(
    (pdfjs) => viewers.forEach((root) => start(pdfjs, root)),
    () => viewers.forEach((root) => fail(root)),
  );
}

startAll();
document.addEventListener("liaison:viewers-added", startAll);

function fail(root) {
  const status = root.querySelector("[data-pdf-status]");
  status.textContent = root.dataset.failed;
  status.classList.add("flash", "flash-warning");
  root.classList.add("pdf-failed");
}

function start(pdfjs, root) {
  pdfjs.GlobalWorkerOptions.workerSrc = root.dataset.worker;
  const canvas = root.querySelector("[data-pdf-canvas]");
  const prev = root.querySelector("[data-pdf-prev]");
  const next = root.querySelector("[data-pdf-next]");
  const input = root.querySelector("[data-pdf-page-input]");
  const total = root.querySelector("[data-pdf-pages]");
  const status = root.querySelector("[data-pdf-status]");
  const attachmentId = root.dataset.attachmentId;
  let pdf = null;
  let current = Math.max(1, parseInt(root.dataset.page, 10) || 1);
  let rendering = null;
  let wanted = null;
  let width = 0;

  const task = pdfjs.getDocument({
    url: root.dataset.pdf,
    cMapUrl: root.dataset.cmaps,
    cMapPacked: true,
    standardFontDataUrl: root.dataset.fonts,
    isEvalSupported: false, // the CSP has no 'unsafe-eval'
    withCredentials: true,
  });
  task.promise.then((loaded) => {
    pdf = loaded;
    total.textContent = String(pdf.numPages);
    input.max = String(pdf.numPages);
    status.textContent = "";
    show(current);
  }, () => fail(root));

  function show(number) {
    if (!pdf) {
      current = number;
      return;
    }
    number = Math.min(Math.max(1, number | 0), pdf.numPages);
    if (rendering) {
      wanted = number; // drawn when the page being drawn is done
      return;
    }
    current = number;
    input.value = String(number);
    prev.disabled = number <= 1;
    next.disabled = number >= pdf.numPages;
    rendering = pdf.getPage(number).then((page) => {
      width = root.clientWidth || 800;
      const unscaled = page.getViewport({ scale: 1 });
      const scale = width / unscaled.width;
      const ratio = window.devicePixelRatio || 1;
      const viewport = page.getViewport({ scale: scale * ratio });
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.style.width = Math.floor(viewport.width / ratio) + "px";
      return page.render({ canvasContext: canvas.getContext("2d"), viewport }).promise;
    }).then(() => {
      root.dataset.renderedPage = String(current);
      document.dispatchEvent(new CustomEvent("liaison:page-shown", {
        detail: { attachmentId: Number(attachmentId), page: current, pages: pdf.numPages },
      }));
    }, () => fail(root)).finally(() => {
      rendering = null;
      if (wanted !== null && wanted !== current) {
        const again = wanted;
        wanted = null;
        show(again);
      }
      wanted = null;
    });
  }

  prev.addEventListener("click", () => show(current - 1));
  next.addEventListener("click", () => show(current + 1));
  input.addEventListener("change", () => show(parseInt(input.value, 10) || 1));
  root.addEventListener("keydown", (event) => {
    if (event.target === input) return;
    if (event.key === "ArrowLeft" || event.key === "PageUp") show(current - 1);
    else if (event.key === "ArrowRight" || event.key === "PageDown") show(current + 1);
  });
  const follow = (event) => {
    if (!root.isConnected) {  // replaced by another 資料 (the live pages)
      document.removeEventListener("liaison:follow-page", follow);
      return;
    }
    const detail = event.detail || {};
    if (String(detail.attachmentId) === attachmentId && detail.page) show(Number(detail.page));
  };
  document.addEventListener("liaison:follow-page", follow);
  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      if (pdf && Math.abs((root.clientWidth || 0) - width) > 20) show(current);
    }, 200);
  });
}
