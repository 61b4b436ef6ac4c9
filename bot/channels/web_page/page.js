// The residents' page: a chat with the screening bot. The server knows who the page is for (the
// link's attempt, or a walk-in's chat); this script only shows replies and sends answers.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("config").textContent);
  var lang = cfg.language, question = null, started = false, busy = false;
  var YES_NO = ["good_time", "go_on", "feels_feverish", "others_unwell", "other_feels_feverish"];
  var $ = function (id) { return document.getElementById(id); };
  var T = function (key) { return cfg.texts[lang][key]; };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function button(label, onclick, attrs) {
    var b = el("button", Object.assign({type: "button"}, attrs || {}), label);
    b.addEventListener("click", onclick);
    return b;
  }

  function apply() {  // every label in the page's language
    document.documentElement.lang = lang;
    document.title = T("title");
    $("title").textContent = cfg.mode === "walk_in" ? T("walk_in_title") : T("title");
    $("intro").textContent = T("intro");
    $("switch").textContent = T("switch");
    $("switch").setAttribute("aria-label", T("switch_label"));
    $("switch").lang = lang === "zh" ? "en" : "zh";
    $("answer-label").textContent = T("answer");
    $("answer").placeholder = T("placeholder");
    $("send").textContent = T("send");
    $("help").textContent = T("help");
    $("log").setAttribute("aria-label", T("title"));
    if (!started && cfg.mode === "walk_in") startBox();
    choices();
    if (!$("help-box").hidden) helpBox();
  }

  function add(text, who) {
    var li = el("li", {"class": who}, text);
    li.prepend(el("span", {"class": "sr"}, T(who === "me" ? "you" : "bot") + ": "));
    $("log").appendChild(li);
    return li;
  }

  function post(path, body) {
    busy = true;
    $("status").textContent = "";
    $("status").className = "";
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                        body: JSON.stringify(body), credentials: "same-origin"})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (data.notice) { notice(data.notice); throw new Error("notice"); }
          if (!r.ok) { $("status").textContent = data.error || T("offline"); throw new Error("refused"); }
          return data;
        });
      }, function (e) { $("status").textContent = T("offline"); throw e; })
      .finally(function () { busy = false; });
  }

  function notice(n) {  // the link cannot be used (any more): say why, and nothing else
    document.querySelector("main").replaceChildren(el("h1", {}, n.title), el("p", {}, n.text));
  }

  function replied(data) {
    var last = null;
    (data.messages || []).forEach(function (m) { last = add(m, "bot"); });
    question = data.question;
    $("intro").hidden = true;
    document.body.setAttribute("data-question", question || "");
    started = true;
    $("say").hidden = false;
    $("help").hidden = false;
    if (data.done) { $("status").textContent = T("done"); $("status").className = "ok"; }
    choices();
    if (last) last.scrollIntoView({block: "start"});  // the question on top, its buttons below
  }

  function say(text) {
    text = text.trim();
    if (!text || busy) return;
    add(text, "me");
    $("answer").value = "";
    post(cfg.base + "/say", {sender: cfg.sender, message: text}).then(replied, function () {
      if ($("answer").value === "") $("answer").value = text;  // nothing is lost: it can be sent again
    });
  }

  function choices() {
    var box = $("choices");
    box.replaceChildren();
    if (!started || !question) return;
    if (YES_NO.indexOf(question) >= 0) {
      var yn = el("div", {"class": "yn"});
      yn.append(button(T("yes"), function () { say(T("say_yes")); }),
                button(T("no"), function () { say(T("say_no")); }, {"class": "alt"}));
      box.append(yn);
    } else if (/temperature$/.test(question) || question === "others_count") {
      pad(box, question !== "others_count");
    } else if (/symptoms$/.test(question)) {
      signs(box);
    }
  }

  function pad(box, decimal) {
    var grid = el("div", {"class": "grid", role: "group", "aria-label": T("answer")});
    var keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", decimal ? "." : "", "0", "⌫"];
    keys.forEach(function (k) {
      if (!k) { grid.append(el("span")); return; }
      grid.append(button(k, function () {
        var a = $("answer");
        a.value = k === "⌫" ? a.value.slice(0, -1) : a.value + k;
      }, k === "⌫" ? {"aria-label": T("erase"), "class": "alt"} : {"class": "alt"}));
    });
    box.append(grid);
    if (decimal) box.append(button(T("no_thermometer"), function () { say(T("say_no_thermometer")); },
                                   {"class": "alt wide"}));
  }

  function signs(box) {
    var chosen = [];
    var heading = false;
    cfg.signs[lang].forEach(function (s) {
      if (s.red_flag && !heading) { box.append(el("h2", {}, T("serious"))); heading = true; }
      var b = button(s.words, function () {
        var on = b.getAttribute("aria-pressed") !== "true";
        b.setAttribute("aria-pressed", String(on));
        if (on) chosen.push(s.words); else chosen.splice(chosen.indexOf(s.words), 1);
      }, {"aria-pressed": "false", "data-code": s.code});
      box.append(b);
    });
    var row = el("div", {"class": "row wide"});
    row.append(button(T("none"), function () { say(T("say_none")); }, {"class": "alt"}),
               button(T("send"), function () { if (chosen.length) say(chosen.join(T("join"))); }, {id: "send-signs"}));
    box.append(row);
  }

  function helpBox() {
    var box = $("help-box"), category = null;
    var fs = el("fieldset"), note = el("input", {id: "help-note", maxlength: "200"});
    fs.append(el("legend", {}, T("help_title")));
    var group = el("div", {"class": "grid", role: "group", "aria-label": T("help_title")});
    cfg.help.forEach(function (c) {
      var b = button(T(c), function () {
        group.querySelectorAll("button").forEach(function (o) { o.setAttribute("aria-pressed", "false"); });
        b.setAttribute("aria-pressed", "true");
        category = c;
      }, {"aria-pressed": "false", "data-category": c});
      group.append(b);
    });
    var row = el("div", {"class": "row"});
    row.append(button(T("cancel"), function () { box.hidden = true; }, {"class": "alt"}),
               button(T("help_send"), function () {
                 if (!category || busy) return;
                 post(cfg.base + "/help", {sender: cfg.sender, category: category, note: note.value})
                   .then(function (data) { box.hidden = true; replied({messages: data.messages, question: question}); },
                         function () {});
               }, {id: "help-send"}));
    fs.append(group, el("label", {"for": "help-note"}, T("help_note")), note, row);
    box.replaceChildren(fs);
    box.hidden = false;
  }

  function startBox() {  // a walk-in: prove a phone number, or choose a community
    var box = $("start"), phone = el("fieldset"), anon = el("fieldset");
    var number = el("input", {id: "phone", type: "tel", autocomplete: "tel", maxlength: "20"});
    var code = el("input", {id: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6"});
    var codeRow = el("div", {hidden: ""});
    codeRow.append(el("label", {"for": "code"}, T("code")), code,
                   button(T("confirm"), function () {
                     post(cfg.prove + "/verify", {sender: cfg.sender, code: code.value.trim()}).then(function () {
                       $("status").textContent = T("proved");
                       $("status").className = "ok";
                       begin("");
                     }, function () {});
                   }, {id: "confirm"}));
    phone.append(el("legend", {}, T("phone_legend")), el("label", {"for": "phone"}, T("phone")), number,
                 button(T("get_code"), function () {
                   post(cfg.prove + "/prove", {sender: cfg.sender, phone: number.value.trim()}).then(function () {
                     $("status").textContent = T("code_sent");
                     $("status").className = "ok";
                     codeRow.hidden = false;
                     code.focus();
                   }, function () {});
                 }, {id: "get-code", "class": "alt"}), codeRow);
    var select = el("select", {id: "community"});
    select.append(el("option", {value: ""}, T("choose")));
    cfg.communities.forEach(function (c) {
      var o = el("option", {value: c}, c);
      if (c === cfg.community) o.selected = true;
      select.append(o);
    });
    anon.append(el("legend", {}, T("anon_legend")), el("label", {"for": "community"}, T("community")), select,
                button(T("start"), function () { begin(select.value); }, {id: "start-anon"}));
    box.replaceChildren(phone, anon);
    box.hidden = false;
  }

  function begin(community) {
    if (busy) return;
    post(cfg.base + "/start", {sender: cfg.sender, community: community, language: lang}).then(function (data) {
      $("start").hidden = true;
      replied(data);
    }, function () {});
  }

  $("switch").addEventListener("click", function () {
    lang = lang === "zh" ? "en" : "zh";
    apply();
    if (started) say(lang === "zh" ? "中文" : "English");  // the bot switches too, and asks again
  });
  $("say").addEventListener("submit", function (e) { e.preventDefault(); say($("answer").value); });
  $("help").addEventListener("click", helpBox);
  apply();
  if (cfg.mode === "link") post(cfg.base + "/start", {}).then(replied, function () {});
})();
