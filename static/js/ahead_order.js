// Order ahead pages. The store list puts the nearest store first when the
// browser may tell where the member is (asked only when they tap "Nearest
// first", or at once if they allowed it before); the distances are worked out
// here, so their location never leaves the phone. On the cart, choosing a
// pickup time picks "later today", and ticking "use my points" updates the total.
(function () {
  function distanceKm(lat1, lng1, lat2, lng2) {
    var rad = Math.PI / 180, dLat = (lat2 - lat1) * rad, dLng = (lng2 - lng1) * rad;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) * Math.sin(dLng / 2);
    return 6371 * 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
  }

  function sortByDistance(position) {
    var list = document.querySelector("[data-store-list]");
    if (!list) return;
    var here = position.coords;
    var cards = Array.prototype.slice.call(list.children);
    cards.forEach(function (card) {
      var lat = parseFloat(card.getAttribute("data-lat")), lng = parseFloat(card.getAttribute("data-lng"));
      card.distance = isNaN(lat) || isNaN(lng) ? Infinity : distanceKm(here.latitude, here.longitude, lat, lng);
      var badge = card.querySelector("[data-distance]");
      if (badge && card.distance !== Infinity) {
        badge.textContent = card.distance < 1 ? Math.round(card.distance * 1000) + " m" : card.distance.toFixed(1) + " km";
        badge.hidden = false;
      }
    });
    cards.sort(function (a, b) { return a.distance - b.distance; });
    cards.forEach(function (card) { list.appendChild(card); });
    var status = document.querySelector("[data-nearest-status]");
    var button = document.querySelector("[data-nearest]");
    if (status && button) status.textContent = button.getAttribute("data-done") || "";
  }

  function locate() {
    navigator.geolocation.getCurrentPosition(sortByDistance, function () {}, { maximumAge: 300000, timeout: 10000 });
  }

  function start() {
    var button = document.querySelector("[data-nearest]");
    if (button && navigator.geolocation) {
      button.hidden = false;
      button.addEventListener("click", locate);
      if (navigator.permissions) {
        navigator.permissions.query({ name: "geolocation" }).then(function (result) {
          if (result.state === "granted") locate();
        }).catch(function () {});
      }
    }
    var slots = document.getElementById("id_pickup_time");
    var slotChoice = document.querySelector("[data-pickup-slot]");
    if (slots && slotChoice) slots.addEventListener("change", function () { slotChoice.checked = true; });
    // "Use my points": the server works out the new total (the form's noscript button does the same).
    document.querySelectorAll("[data-submit-on-change]").forEach(function (input) {
      input.addEventListener("change", function () { input.form.submit(); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
