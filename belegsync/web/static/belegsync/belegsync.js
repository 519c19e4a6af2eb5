// belegsync: the little script the pages need beyond htmx. No inline script anywhere:
// pages mark what they want with data- attributes and this file does it.
(function () {
  "use strict";

  // "Select all on this page" for the bulk checkboxes of the document lists.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select-all]")) return;
    var form = box.closest("form");
    form.querySelectorAll("input[name=ids]").forEach(function (item) {
      item.checked = box.checked;
    });
  });

  // Confirmations in the page's own dialog (in the page's language, not the browser's):
  // a submit button or form with data-confirm="…" asks before it is sent; an htmx
  // element with hx-confirm="…" asks through htmx's confirm event.
  function dialog() {
    return document.getElementById("confirm-dialog");
  }

  function ask(question, yesLabel, onYes) {
    var box = dialog();
    if (!box || typeof box.showModal !== "function") {
      if (window.confirm(question)) onYes();
      return;
    }
    box.querySelector("[data-question]").textContent = question;
    var yes = box.querySelector("[data-yes]");
    yes.textContent = yesLabel || yes.getAttribute("data-default");
    box.returnValue = "";
    box.addEventListener(
      "close",
      function () {
        if (box.returnValue === "yes") onYes();
      },
      { once: true }
    );
    box.showModal();
    yes.focus();
  }

  function bulkQuestion(button, form) {
    var action = form.querySelector("select[name=action]");
    var chosen = action ? action.options[action.selectedIndex].text : "";
    var count = form.querySelectorAll("input[name=ids]:checked").length;
    return button
      .getAttribute("data-confirm")
      .replace("{action}", chosen)
      .replace("{count}", String(count));
  }

  document.addEventListener(
    "click",
    function (event) {
      var button = event.target.closest && event.target.closest("button[data-confirm]");
      if (!button || button.dataset.confirmed === "yes") return;
      var form = button.form;
      if (!form) return;
      event.preventDefault();
      var question = button.hasAttribute("data-confirm-bulk")
        ? bulkQuestion(button, form)
        : button.getAttribute("data-confirm");
      ask(question, button.getAttribute("data-confirm-yes") || button.textContent.trim(), function () {
        button.dataset.confirmed = "yes";
        if (typeof form.requestSubmit === "function") form.requestSubmit(button);
        else button.click();
        delete button.dataset.confirmed;
      });
    },
    true
  );

  document.addEventListener("htmx:confirm", function (event) {
    var question = event.detail.question;
    if (!question) return;
    event.preventDefault();
    var element = event.detail.elt;
    ask(question, element.getAttribute("data-confirm-yes"), function () {
      event.detail.issueRequest(true);
    });
  });
  // File uploads with a drop zone and a progress bar (form[data-upload]): the upload
  // runs as XMLHttpRequest so the bar moves; without it the form posts as usual.
  function upload(form) {
    var zone = document.getElementById(form.getAttribute("data-dropzone"));
    var bar = document.getElementById(form.getAttribute("data-progress"));
    var input = form.querySelector("input[type=file]");
    if (zone && input) {
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (e) {
          e.preventDefault();
          zone.classList.add("over");
        });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function (e) {
          e.preventDefault();
          zone.classList.remove("over");
        });
      });
      zone.addEventListener("drop", function (e) {
        if (e.dataTransfer.files.length) input.files = e.dataTransfer.files;
      });
    }
    form.addEventListener("submit", function (e) {
      if (!window.XMLHttpRequest || !window.FormData || !bar) return;
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      bar.hidden = false;
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) bar.value = Math.round((p.loaded * 100) / p.total);
      });
      xhr.addEventListener("load", function () {
        if (xhr.responseURL && xhr.responseURL !== form.action) {
          window.location = xhr.responseURL;
        } else {
          document.open();
          document.write(xhr.responseText);
          document.close();
        }
      });
      xhr.open("POST", form.action);
      xhr.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload]").forEach(upload);
  });
})();
