// belegsync: the little script the pages need beyond htmx.
// "Select all on this page" for the bulk checkboxes of the document lists.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[data-select-all]")) return;
  var form = box.closest("form");
  form.querySelectorAll("input[name=ids]").forEach(function (item) {
    item.checked = box.checked;
  });
});
