// The offline till's cart (till-offline.js keeps the rest: the queue, codes,
// tenders). A tap on a drink adds a line with its default options, and the
// line shows its option groups as the online till does (templates/pos/till.html:
// one row of buttons per group, the chosen one filled, "+NT$15" beside a
// dearer one). A line's price is the product's price plus its options' prices,
// which is how the online till prices it (order_line_set_modifiers) and what
// the server checks the queued sale against (payments/services/offline/sync.py).
// A kept menu from before options were kept (no `groups`) still sells, at the
// price with the default options.
(function () {
  "use strict";

  window.CafeOfflineCart = function (settings) {
    var t = settings.t, money = settings.money, changed = settings.changed;
    var lines = [];

    function groupsOf(line) { return line.product.groups || []; }
    function optionsOf(line) {
      return groupsOf(line).reduce(function (found, group) { return found.concat(group.options); }, []);
    }
    function chosen(line) {
      return optionsOf(line).filter(function (option) { return line.modifiers.indexOf(option.id) !== -1; });
    }
    function unitPrice(line) {
      if (!line.product.groups) return line.product.price;
      return chosen(line).reduce(function (sum, option) { return sum + option.price; }, line.product.base_price);
    }
    // The options worth saying on a receipt, as the server labels a line:
    // not the default ones that cost nothing (whole milk), so "Large, Oat milk".
    function label(line) {
      return chosen(line).filter(function (o) { return !o.default || o.price; }).map(function (o) { return o.name; }).join(", ");
    }

    // A tap adds a line, as online: two lattes can then differ in milk.
    function add(product) {
      lines.push({ product: product, quantity: 1, modifiers: product.modifiers.slice() });
      changed();
    }
    function setQuantity(line, quantity) {
      if (quantity <= 0) lines.splice(lines.indexOf(line), 1);
      else line.quantity = Math.min(quantity, 99);
      changed();
    }
    // As the online till's tap (payments/views/till.py, _modifiers_after_tap):
    // the tapped option becomes its group's choice; tapped again, an option of
    // a group with no default (extras) comes off, while size and milk always
    // keep one choice. A sold-out option (as the menu was kept) is not taken.
    function toggle(line, group, option) {
      if (option.sold_out) return;
      var ids = group.options.map(function (o) { return o.id; });
      var kept = line.modifiers.filter(function (id) { return ids.indexOf(id) === -1; });
      var hasDefault = group.options.some(function (o) { return o.default; });
      var wasChosen = line.modifiers.indexOf(option.id) !== -1;
      var next = wasChosen && !hasDefault ? kept : kept.concat([option.id]);
      // In the menu's order (size, then milk…), so the server labels the line as this till does.
      line.modifiers = optionsOf(line).map(function (o) { return o.id; }).filter(function (id) { return next.indexOf(id) !== -1; });
      changed();
    }

    function button(text, aria, id, onClick) {
      var el = document.createElement("button");
      el.type = "button";
      el.textContent = text;
      if (aria) el.setAttribute("aria-label", aria);
      if (id) el.id = id;
      el.addEventListener("click", onClick);
      return el;
    }

    function drawOptions(line, index) {
      var box = document.createElement("div");
      box.className = "pos-mods";
      box.dataset.testid = "offline-mods";
      groupsOf(line).forEach(function (group) {
        var row = document.createElement("div");
        row.className = "pos-mod-group";
        row.setAttribute("role", "group");
        row.setAttribute("aria-label", group.name);
        row.dataset.testid = "offline-mod-" + group.key;
        group.options.forEach(function (option) {
          var el = button(option.name, "", "offline-mod-" + index + "-" + option.id, function () { toggle(line, group, option); });
          el.className = "pos-mod";
          el.setAttribute("aria-pressed", String(line.modifiers.indexOf(option.id) !== -1));
          // Sold out when the menu was kept: disabled and marked, as the online till shows it.
          if (option.sold_out) {
            el.disabled = true;
            el.dataset.soldOut = "";
          }
          if (option.sold_out || option.price) {
            var price = document.createElement("span");
            price.className = "pos-mod-price";
            price.textContent = option.sold_out ? t("sold-out") : "+" + option.price_label;
            el.append(" ", price);
          }
          row.appendChild(el);
        });
        box.appendChild(row);
      });
      return box;
    }

    function draw(list) {
      // Redrawn on every change: the button that had the focus gets it back.
      var focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.id : "";
      list.textContent = "";
      lines.forEach(function (line, index) {
        var item = document.createElement("li");
        item.className = "pos-line";
        item.dataset.testid = "offline-line";
        var head = document.createElement("div");
        head.className = "row row-between";
        var name = document.createElement("strong");
        name.textContent = line.product.name;
        var amount = document.createElement("span");
        amount.className = "amount";
        amount.textContent = money(unitPrice(line) * line.quantity);
        head.append(name, amount);
        item.appendChild(head);
        if (groupsOf(line).length) item.appendChild(drawOptions(line, index));
        var qty = document.createElement("div");
        qty.className = "row pos-qty";
        var less = button("−", t("less"), "offline-less-" + index, function () { setQuantity(line, line.quantity - 1); });
        var more = button("+", t("more"), "offline-more-" + index, function () { setQuantity(line, line.quantity + 1); });
        less.className = more.className = "btn btn-secondary btn-sm";
        var count = document.createElement("span");
        count.textContent = line.quantity;
        qty.append(less, count, more);
        item.appendChild(qty);
        list.appendChild(item);
      });
      if (!lines.length) {
        var empty = document.createElement("li");
        empty.className = "muted";
        empty.textContent = t("empty");
        list.appendChild(empty);
      }
      var again = focused && document.getElementById(focused);
      if (again) again.focus();
    }

    return {
      add: add,
      draw: draw,
      isEmpty: function () { return !lines.length; },
      clear: function () { lines = []; },
      total: function () { return lines.reduce(function (sum, l) { return sum + unitPrice(l) * l.quantity; }, 0); },
      // The lines as the sale sends them: the option ids and the price shown.
      forSale: function () {
        return lines.map(function (l) {
          return { sku: l.product.sku, quantity: l.quantity, unit_price: unitPrice(l), modifiers: l.modifiers.slice() };
        });
      },
      // "1× Latte (Large, Oat milk), 1× Croissant", for the waiting and refused lists.
      summary: function () {
        return lines.map(function (l) {
          var options = label(l);
          return l.quantity + "× " + l.product.name + (options ? " (" + options + ")" : "");
        }).join(", ");
      },
    };
  };
})();
