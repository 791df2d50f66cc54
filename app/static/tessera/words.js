/* The page's language (`<html lang>`, from its meta tag) and the words of its scripts,
   translated by the server: an element's `data-messages` is a JSON object of key → text,
   where {name} marks a value filled in when the text is shown.
   `TesseraWords(element)("key", {name: value})` gives the text (the key itself when the page
   has no such word). */
(function () {
  "use strict";

  /* The page's language (FAB's layout writes a bare <html>): for screen readers and fonts. */
  var language = document.querySelector('meta[name="tessera-language"]');
  if (language && language.content) { document.documentElement.lang = language.content; }

  window.TesseraWords = function (element) {
    var messages = JSON.parse((element && element.getAttribute("data-messages")) || "{}");
    return function (key, values) {
      return (messages[key] || key).replace(/\{(\w+)\}/g, function (whole, name) {
        return values && name in values ? String(values[name]) : whole;
      });
    };
  };
}());
