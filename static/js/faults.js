// htmx does not swap an error answer, so without this a click that failed would look
// like a click that did nothing. Say plainly that it did not go through.
(function () {
  "use strict";

  function say(text) {
    var main = document.querySelector("main");
    if (!main) return;
    var note = document.getElementById("request-failed");
    if (!note) {
      note = document.createElement("p");
      note.id = "request-failed";
      note.className = "flash flash-error";
      note.setAttribute("role", "alert");
      main.insertBefore(note, main.firstChild);
    }
    note.textContent = text;
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 503) {
      say("We can't reach the database right now, so that was not saved. Try again in a moment.");
    } else if (status >= 500) {
      say("Something went wrong on our side, so that may not have been saved. Reload the page and try again.");
    } else if (status === 403 || status === 404) {
      say("That is not open to you (any more). Reload the page to see what you can do.");
    } else {
      say("That did not go through (the server answered " + status + "). Reload the page and try again.");
    }
  });

  document.addEventListener("htmx:sendError", function () {
    say("The server did not answer, so that was not saved. Check your connection and try again.");
  });

  // A later request that works clears the note.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) {
      var note = document.getElementById("request-failed");
      if (note) note.remove();
    }
  });
})();
