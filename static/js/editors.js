// Keyboard in the in-place editors (a charter section's form, swapped in by htmx):
// opening one puts focus in its first field; Esc cancels; Ctrl/Cmd+Enter saves; after
// saving (or cancelling) focus goes back to the section's Edit button.
(function () {
  "use strict";
  var returning = null; // the id of the section whose editor just closed

  function firstField(editor) {
    return editor.querySelector(
      "form input:not([type=hidden]):not([disabled]), form select:not([disabled]), form textarea:not([disabled])"
    );
  }

  function opened(editor) {
    var field = firstField(editor);
    if (field) field.focus();
  }

  function closed(section) {
    var edit = section.querySelector("[data-editor-open]");
    if (edit) edit.focus();
  }

  document.addEventListener("keydown", function (event) {
    var editor = event.target.closest && event.target.closest("[data-editor]");
    if (!editor) return;
    if (event.key === "Escape") {
      var cancel = editor.querySelector("[data-editor-cancel]");
      if (cancel) {
        event.preventDefault();
        returning = editor.id;
        cancel.click();
      }
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var save = editor.querySelector("[data-editor-save]");
      if (save) {
        event.preventDefault();
        returning = editor.id;
        save.form.requestSubmit(save);
      }
    }
  });

  // Buttons and links clicked with the mouse close the editor too.
  document.addEventListener("click", function (event) {
    var editor = event.target.closest && event.target.closest("[data-editor]");
    if (editor && event.target.closest("[data-editor-save], [data-editor-cancel]")) {
      returning = editor.id;
    }
  });

  function settle(element) {
    if (!element || !element.matches) return;
    if (element.matches("[data-editor]")) {
      opened(element);
    } else if (returning && element.id === returning) {
      returning = null;
      closed(element);
    }
  }

  // htmx fires htmx:load on every element it swaps in.
  document.addEventListener("htmx:load", function (event) {
    settle(event.detail.elt);
  });
  // The editor's own page (without htmx): the same first-field focus.
  document.addEventListener("DOMContentLoaded", function () {
    var editor = document.querySelector("[data-editor]");
    if (editor) opened(editor);
  });
})();
