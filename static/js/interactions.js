// Interaction form (issue 4): the meeting link only matters for a video conference, so it is
// shown only while a video channel is selected. Without JavaScript the field simply stays.
"use strict";

(function () {
  function sync(select, field) {
    const video = (field.dataset.videoChannels || "").split(",").filter(Boolean);
    const input = field.querySelector("input");
    const hasValue = input && input.value;
    field.classList.toggle("d-none", !video.includes(select.value) && !hasValue);
  }

  document.addEventListener("DOMContentLoaded", function () {
    const field = document.querySelector("[data-video-channels]");
    const select = document.querySelector("select[name='channel']");
    if (!field || !select) {
      return;
    }
    sync(select, field);
    select.addEventListener("change", function () {
      sync(select, field);
    });
  });
})();
