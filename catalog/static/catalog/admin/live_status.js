// Live transcode status in the video admin: while a shown video is pending or processing,
// poll the admin's status view and update its badge and progress. When a job ends, the list
// reloads to show the new thumbnail and renditions; the change form, which may hold unsaved
// edits, says so instead.
(function () {
  "use strict";
  const ACTIVE = ["pending", "processing"];
  const INTERVAL_MS = 2000;
  const LABELS = { pending: "Pending", processing: "Processing", ready: "Ready", failed: "Failed" };

  function badges() {
    return Array.from(document.querySelectorAll("[data-video-status]"));
  }

  function update(video) {
    let ended = false;
    document.querySelectorAll('[data-video-status][data-video-id="' + video.id + '"]').forEach(function (badge) {
      if (ACTIVE.includes(badge.dataset.videoStatus) && !ACTIVE.includes(video.status)) {
        ended = true;
      }
      badge.dataset.videoStatus = video.status;
      badge.className = "vf-status vf-status-" + video.status;
      badge.textContent = LABELS[video.status] || video.status;
    });
    document.querySelectorAll('[data-video-progress="' + video.id + '"]').forEach(function (cell) {
      cell.textContent = video.progress + "%";
    });
    return ended;
  }

  function announceEnd() {
    if (!document.getElementById("video_form")) {
      window.location.reload();
      return;
    }
    if (document.querySelector(".vf-notice")) return;
    const notice = document.createElement("p");
    notice.className = "vf-notice";
    notice.textContent = "The transcode has ended: reload the page to see its result.";
    document.getElementById("video_form").prepend(notice);
  }

  function poll() {
    const active = badges().filter(function (badge) {
      return ACTIVE.includes(badge.dataset.videoStatus);
    });
    if (!active.length) return;
    const ids = Array.from(new Set(active.map(function (badge) { return badge.dataset.videoId; })));
    const url = active[0].dataset.statusUrl + "?ids=" + ids.join(",");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        const ended = data.videos.map(update).some(Boolean);
        if (ended) announceEnd();
        setTimeout(poll, INTERVAL_MS);
      })
      .catch(function () {
        setTimeout(poll, INTERVAL_MS * 5);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setTimeout(poll, INTERVAL_MS);
  });
})();
