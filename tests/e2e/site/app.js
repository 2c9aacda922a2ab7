// A minimal Videoflix front end: the calls the real ones make, from another origin, with cookies.
"use strict";

const videoflix = (() => {
  const API = window.VIDEOFLIX_API; // written into config.js by the test, e.g. http://127.0.0.1:8123/api

  // `path` below the API root ("/login/"), or an absolute URL the API handed out; `options`
  // adds fetch options, e.g. { cache: "no-store" } for a request that must reach the server.
  // As the real front ends do: the readable csrftoken cookie, echoed in X-CSRFToken.
  function csrfToken() {
    const found = document.cookie.split("; ").find((cookie) => cookie.startsWith("csrftoken="));
    return found ? decodeURIComponent(found.slice("csrftoken=".length)) : "";
  }

  async function api(method, path, body, options = {}) {
    const init = { method, credentials: "include", headers: {}, ...options };
    if (method === "POST") init.headers["X-CSRFToken"] = csrfToken();
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path.startsWith("http") ? path : API + path, init);
    const text = await response.text();
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch (notJson) {
      // playlists and error pages stay text
    }
    return { status: response.status, body: parsed, contentType: response.headers.get("Content-Type") };
  }

  function loadImage(url) {
    return new Promise((resolve) => {
      const image = new Image();
      image.onload = () => resolve({ loaded: true, width: image.naturalWidth, height: image.naturalHeight });
      image.onerror = () => resolve({ loaded: false });
      image.src = url;
    });
  }

  const player = { hls: null, fragments: [], errors: [], switches: [] };

  function errorOf(data) {
    return { type: data.type, details: data.details, fatal: data.fatal, code: data.response ? data.response.code : null };
  }

  // Plays rung `level` only (no automatic switching), resolving with the ladder once the
  // master playlist is parsed, or with the fatal error.
  function play(masterUrl, level = 0) {
    const video = document.getElementById("video");
    if (player.hls) player.hls.destroy();
    Object.assign(player, { fragments: [], errors: [], switches: [] });
    const hls = new Hls({ startLevel: level, xhrSetup: (xhr) => { xhr.withCredentials = true; } });
    player.hls = hls;
    hls.on(Hls.Events.FRAG_BUFFERED, (event, data) => {
      player.fragments.push({ level: data.frag.level, sn: data.frag.sn, url: data.frag.url });
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, (event, data) => player.switches.push(data.level));
    hls.on(Hls.Events.ERROR, (event, data) => player.errors.push(errorOf(data)));
    return new Promise((resolve) => {
      hls.on(Hls.Events.MANIFEST_PARSED, (event, data) => {
        hls.currentLevel = level;
        video.play().catch((error) => player.errors.push({ details: `play(): ${error}`, fatal: true }));
        resolve({ levels: data.levels.map((level) => ({ width: level.width, height: level.height, url: level.uri })) });
      });
      hls.on(Hls.Events.ERROR, (event, data) => {
        if (data.fatal) resolve({ error: errorOf(data) });
      });
      hls.loadSource(masterUrl);
      hls.attachMedia(video);
    });
  }

  function switchLevel(index) {
    player.hls.currentLevel = index; // immediate switch: flush the buffer, load the other rung
  }

  function state() {
    const video = document.getElementById("video");
    return {
      time: video.currentTime,
      width: video.videoWidth,
      height: video.videoHeight,
      fragments: player.fragments,
      errors: player.errors,
      switches: player.switches,
    };
  }

  // The subtitle tracks hls.js found in the master playlist, after choosing track `index`, and
  // the cues it has put on the video element's text tracks so far.
  function subtitles(index) {
    const hls = player.hls;
    if (index !== undefined && hls.subtitleTrack !== index) hls.subtitleTrack = index;
    const video = document.getElementById("video");
    return {
      tracks: hls.subtitleTracks.map((track) => ({ lang: track.lang, name: track.name, default: track.default })),
      textTracks: Array.from(video.textTracks).map((track) => ({
        language: track.language,
        label: track.label,
        cues: Array.from(track.cues || []).map((cue) => ({ start: cue.startTime, end: cue.endTime, text: cue.text })),
      })),
    };
  }

  return { api, loadImage, play, switchLevel, state, subtitles };
})();
