// The new team form: the time zone starts as the browser's, and the short name follows
// the name as it is typed, until someone edits the short name by hand.
(function () {
  "use strict";
  var form = document.querySelector("form[data-team-form]");
  if (!form) return;

  var zone = form.querySelector("input[name=time_zone]");
  if (zone && form.hasAttribute("data-fresh")) {
    var browserZone = "";
    try {
      browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      browserZone = "";
    }
    var known = zone.list && zone.list.querySelector('option[value="' + CSS.escape(browserZone) + '"]');
    // Only while untouched: a zone the person chose (or the server sent back) stays.
    if (known && zone.value === zone.defaultValue) zone.value = browserZone;
  }

  var name = form.querySelector("input[name=name]");
  var slug = form.querySelector("input[name=slug]");
  if (!name || !slug) return;
  var max = parseInt(slug.getAttribute("maxlength") || "40", 10);

  function slugOf(text) {
    return text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, max)
      .replace(/-+$/g, "");
  }

  // Following while empty or still what the name gave; a hand edit stops it.
  var following = slug.value === "" || slug.value === slugOf(name.value);
  name.addEventListener("input", function () {
    if (following) slug.value = slugOf(name.value);
  });
  slug.addEventListener("input", function () {
    following = slug.value === "";
  });
})();
