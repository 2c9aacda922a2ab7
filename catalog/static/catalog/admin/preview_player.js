// The preview player on a video's change page: hls.js plays the live ladder through the
// viewers' streaming routes (same origin, so the admin session cookie goes along). The select
// pins one rung or lets hls.js adapt (Auto); when the film has a storyboard, the scrub bar shows
// the tile of the time under the pointer or the thumb.
(function () {
  "use strict";

  // "01:02:03.500" or "02:03.500" -> seconds
  function seconds(text) {
    return text.split(":").reduce(function (total, part) { return total * 60 + Number(part); }, 0);
  }

  function clock(time) {
    const whole = Math.floor(time);
    const minutes = Math.floor(whole / 60);
    const rest = whole % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  // WebVTT cues whose text is "<image>#xywh=x,y,w,h", image URLs resolved against the VTT's.
  function storyboardCues(text, baseUrl) {
    const cues = [];
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length - 1; i++) {
      const timing = lines[i].match(/^\s*([0-9:.]+)\s+-->\s+([0-9:.]+)/);
      const tile = timing && lines[i + 1].trim().match(/^(.+)#xywh=(\d+),(\d+),(\d+),(\d+)$/);
      if (!tile) continue;
      cues.push({
        start: seconds(timing[1]),
        end: seconds(timing[2]),
        image: new URL(tile[1], baseUrl).href,
        x: Number(tile[2]), y: Number(tile[3]), w: Number(tile[4]), h: Number(tile[5]),
      });
    }
    return cues;
  }

  function setUp(root) {
    const video = root.querySelector(".vf-player-video");
    const scrubber = root.querySelector(".vf-player-scrubber");
    const tile = root.querySelector(".vf-player-tile");
    const tileTime = root.querySelector(".vf-player-tile-time");
    const rung = root.querySelector(".vf-player-rung");
    const playing = root.querySelector(".vf-player-playing");
    const error = root.querySelector(".vf-player-error");
    const masterUrl = new URL(root.dataset.masterUrl, window.location.href).href;
    let cues = [];
    let hls = null;

    function fail(message) {
      error.textContent = message;
      error.hidden = false;
    }

    // --- playback and rungs ---------------------------------------------------------------
    function rungIndex(name) {
      // Rung folders name the variants: ".../720p/index.m3u8".
      return hls.levels.findIndex(function (level) { return level.uri.indexOf("/" + name + "/") !== -1; });
    }

    function showLevel(index) {
      const level = hls.levels[index];
      playing.textContent = level ? "playing " + level.height + "p" : "";
      root.dataset.playingHeight = level ? String(level.height) : "";
    }

    if (window.Hls && window.Hls.isSupported()) {
      hls = new window.Hls();
      hls.on(window.Hls.Events.LEVEL_SWITCHED, function (event, data) { showLevel(data.level); });
      hls.on(window.Hls.Events.ERROR, function (event, data) {
        if (!data.fatal) return;
        const status = data.response && data.response.code;
        fail("The stream could not be played (" + (status ? "HTTP " + status : data.details) + ").");
      });
      hls.loadSource(masterUrl);
      hls.attachMedia(video);
      rung.addEventListener("change", function () {
        // currentLevel switches at once (the buffer is flushed); -1 hands the choice back.
        hls.currentLevel = rung.value === "auto" ? -1 : rungIndex(rung.value);
      });
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = masterUrl; // Safari plays HLS itself and picks the rung on its own
      rung.disabled = true;
    } else {
      fail("This browser cannot play HLS.");
      rung.disabled = true;
    }

    // --- scrub bar and storyboard ---------------------------------------------------------
    let dragging = false;
    // MSE reports the duration once hls.js has read the playlist; it may be NaN or Infinity first.
    video.addEventListener("durationchange", function () {
      scrubber.max = String(Number.isFinite(video.duration) ? video.duration : 0);
    });
    video.addEventListener("timeupdate", function () {
      if (!dragging) scrubber.value = String(video.currentTime);
    });

    function showTile(time, fraction) {
      const cue = cues.find(function (c) { return time >= c.start && time < c.end; });
      if (!cue) {
        tile.hidden = true;
        return;
      }
      tile.style.width = cue.w + "px";
      tile.style.height = cue.h + "px";
      tile.style.backgroundImage = 'url("' + cue.image + '")';
      tile.style.backgroundPosition = -cue.x + "px " + -cue.y + "px";
      tile.style.left = "calc(" + fraction * 100 + "% - " + cue.w / 2 + "px)";
      tileTime.textContent = clock(time);
      tile.dataset.image = cue.image;
      tile.dataset.start = String(cue.start);
      tile.hidden = false;
    }

    function pointerTime(event) {
      const box = scrubber.getBoundingClientRect();
      const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
      return { time: fraction * (Number(scrubber.max) || 0), fraction: fraction };
    }

    scrubber.addEventListener("pointermove", function (event) {
      const at = pointerTime(event);
      showTile(at.time, at.fraction);
    });
    scrubber.addEventListener("pointerleave", function () {
      if (!dragging) tile.hidden = true;
    });
    scrubber.addEventListener("pointerdown", function () { dragging = true; });
    scrubber.addEventListener("input", function () {
      const time = Number(scrubber.value);
      showTile(time, time / (Number(scrubber.max) || 1));
    });
    scrubber.addEventListener("change", function () {
      dragging = false;
      video.currentTime = Number(scrubber.value);
      tile.hidden = true;
    });

    const storyboardUrl = root.dataset.storyboardUrl;
    if (storyboardUrl) {
      const absolute = new URL(storyboardUrl, window.location.href).href;
      fetch(absolute, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (text) {
          cues = storyboardCues(text, absolute);
          root.dataset.storyboardCues = String(cues.length);
        })
        .catch(function () { root.dataset.storyboardCues = "0"; });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".vf-player").forEach(setUp);
  });
})();
