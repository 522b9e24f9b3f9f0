// Optional: with scripts enabled, the quick-exit control replaces this page in the history
// instead of adding one; Escape pressed twice does the same. Without scripts the control
// still works (its form leads to a page that moves on to the neutral site).
(function () {
  var b = document.getElementById("exit");
  if (!b) return;
  var to = b.getAttribute("data-to");
  function go(e) { if (e) e.preventDefault(); window.location.replace(to); }
  b.addEventListener("click", go);
  var last = 0;
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var now = Date.now();
    if (now - last < 800) go(e);
    last = now;
  });
})();
