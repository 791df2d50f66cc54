// Tell the server the browser's time zone (IANA name) once, in a cookie: pages then show
// moments in it. Without JavaScript the app's default zone (BABEL_DEFAULT_TIMEZONE) is used.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) {
    return;
  }
  var value = "tessera_tz=" + encodeURIComponent(zone);
  if (document.cookie.split("; ").indexOf(value) < 0) {
    document.cookie = value + "; path=/; max-age=31536000; SameSite=Lax";
  }
})();
