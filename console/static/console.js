// The console's only script: redact by selecting text, and one key per action.
// Positions count Unicode code points, as the server does (Python string indices).
"use strict";

function codePoints(s) { return Array.from(s).length; }

function readSpans(input) {
  return input.value.split(",").filter(Boolean).map(function (p) {
    var ab = p.split("-"); return [parseInt(ab[0], 10), parseInt(ab[1], 10)];
  });
}

function merged(spans) {
  spans.sort(function (x, y) { return x[0] - y[0]; });
  var out = [];
  spans.forEach(function (s) {
    var last = out[out.length - 1];
    if (last && s[0] <= last[1]) { last[1] = Math.max(last[1], s[1]); } else { out.push([s[0], s[1]]); }
  });
  return out;
}

function offsetOf(box, node, offset) {
  // A point in the text box -> a code point position in the message.
  if (node.nodeType === Node.TEXT_NODE) {
    var span = node.parentElement.closest("[data-start]");
    if (!span || !box.contains(span)) { return null; }
    return parseInt(span.dataset.start, 10) + codePoints(node.data.slice(0, offset));
  }
  var child = node.childNodes[offset];
  if (child && child.dataset && child.dataset.start) { return parseInt(child.dataset.start, 10); }
  return node === box ? codePoints(box.textContent) : null;
}

function paint(box, input) {
  var spans = readSpans(input);
  box.querySelectorAll("[data-start]").forEach(function (el) {
    var a = parseInt(el.dataset.start, 10), b = a + codePoints(el.textContent);
    el.classList.toggle("cut", spans.some(function (s) { return s[0] <= a && b <= s[1]; }));
  });
  var cuts = document.getElementById("cuts");
  if (cuts) {
    // Each passage in its own isolate, in the message's direction, so that a phone number
    // keeps its digits in order on a right-to-left page.
    var text = Array.from(box.textContent);
    cuts.replaceChildren();
    if (spans.length) { cuts.append(cuts.dataset.label); }
    spans.forEach(function (s) {
      var passage = document.createElement("bdi");
      passage.dir = box.dir;
      passage.className = "cut";
      passage.textContent = text.slice(s[0], s[1]).join("");
      cuts.append(" ", passage);
    });
  }
}

function splitAt(box, pos) {
  // Make a segment boundary at pos so that a cut paints exactly the selected characters.
  box.querySelectorAll("[data-start]").forEach(function (el) {
    var a = parseInt(el.dataset.start, 10), chars = Array.from(el.textContent);
    if (pos > a && pos < a + chars.length) {
      var tail = el.cloneNode(false);
      tail.dataset.start = String(pos);
      tail.textContent = chars.slice(pos - a).join("");
      el.textContent = chars.slice(0, pos - a).join("");
      el.after(tail);
    }
  });
}

function redactSelection(box, input) {
  var sel = window.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { return; }
  var r = sel.getRangeAt(0);
  var a = offsetOf(box, r.startContainer, r.startOffset);
  var b = offsetOf(box, r.endContainer, r.endOffset);
  if (a === null || b === null || b <= a) { return; }
  splitAt(box, a); splitAt(box, b);
  var spans = readSpans(input); spans.push([a, b]);
  input.value = merged(spans).map(function (s) { return s[0] + "-" + s[1]; }).join(",");
  sel.removeAllRanges();
  paint(box, input);
}

document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("text");
  var input = document.getElementById("redactions");
  if (box && input) { paint(box, input); }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") { return; }
    var key = ev.key.toLowerCase();
    if (box && input && key === "r") { redactSelection(box, input); ev.preventDefault(); return; }
    if (box && input && key === "c") { input.value = ""; paint(box, input); ev.preventDefault(); return; }
    if (key === "t" && document.getElementById("reason")) {
      var reason = document.getElementById("reason");
      if (!reason.value) { reason.focus(); ev.preventDefault(); return; }
    }
    var button = document.querySelector('button[data-key="' + key + '"]');
    if (button) { ev.preventDefault(); button.click(); }
  });
});
