"""Staff's way in: upload, watch the transcode live, publish, re-transcode, delete."""

import json
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from catalog import outputs, services
from catalog.links import stream_path
from catalog.models import MAX_VIDEO_ID, Video
from catalog.preview import preview_player_html
from catalog.schemas import VideoStatusOut
from catalog.storage import MediaStoreError, video_files
from catalog.subtitle_admin import SubtitleFormSet, SubtitleInline
from catalog.uploads import validate_upload_size
from transcoding.cli import clock

EMPTY = "-"
JOB_FIELDS = ("attempts", "transcode_started_at", "transcode_finished_at", "heartbeat_at")


class VideoAdminForm(forms.ModelForm):
    class Meta:
        model = Video
        fields = ["title", "description", "category", "original", "is_published"]
        help_texts = {
            "original": "The source film. It is transcoded into an HLS ladder after saving.",
            "is_published": "Viewers see the video once it is ready and published.",
        }

    def clean_original(self):
        original = self.cleaned_data.get("original")
        if original:
            validate_upload_size(original)
        return original


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    form = VideoAdminForm
    list_display = [
        "thumbnail_preview",
        "title",
        "category",
        "status_badge",
        "progress_percent",
        "duration_display",
        "renditions_display",
        "is_published",
    ]
    list_display_links = ["title"]
    list_filter = ["status", "is_published", "category"]
    search_fields = ["title", "description"]
    actions = ["publish", "unpublish", "retranscode"]
    inlines = [SubtitleInline]
    date_hierarchy = "created_at"
    add_fieldsets = (
        (None, {"fields": ["title", "description", "category", "original", "is_published"]}),
    )
    fieldsets = (
        (None, {"fields": ["title", "description", "category", "is_published"]}),
        ("Transcode", {"fields": ["status_badge", "progress_percent", "error", *JOB_FIELDS]}),
        (
            "Output",
            {
                "fields": [
                    "thumbnail_preview",
                    "stream_link",
                    "duration_display",
                    "dimensions",
                    "renditions_display",
                    "features_display",
                    "output_sizes",
                ]
            },
        ),
        (
            "Source",
            {"fields": ["original", "source_metadata_display", "uploaded_by", "created_at"]},
        ),
        ("Preview", {"fields": ["preview_player"]}),
    )
    # On an existing video only the first fieldset is editable; the rest is what happened.
    readonly_fields = [name for _, options in fieldsets[1:] for name in options["fields"]]

    class Media:
        css = {"all": ["catalog/admin/video.css"]}
        js = ["catalog/admin/live_status.js"]

    # --- forms and writes: everything goes through the services --------------------------

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except MediaStoreError as exc:
            # The store is away (MEDIA_STORAGE=s3): say so; the form's transaction rolled back.
            return HttpResponse(
                f"{exc} Nothing was saved; try the upload again shortly.",
                status=503,
                content_type="text/plain; charset=utf-8",
            )

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in services.EDITABLE_FIELDS}
        if change:
            services.video_update(video=obj, data=data)
            return
        created = services.video_create(
            title=data["title"],
            description=data["description"],
            category=data["category"],
            publish=data["is_published"],
            original=form.cleaned_data["original"],
            uploaded_by=request.user,
        )
        obj.pk = created.pk  # the admin goes on with `obj`: log entry, redirect
        obj.original = created.original

    def save_formset(self, request, form, formset, change):
        if isinstance(formset, SubtitleFormSet):
            formset.save_through_services(form.instance)
        else:
            super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        services.video_delete(video=obj)

    def delete_queryset(self, request, queryset):
        for video in queryset:
            services.video_delete(video=video)

    @admin.action(description="Publish selected videos", permissions=["change"])
    def publish(self, request, queryset):
        for video in queryset:
            services.video_publish(video=video)
        self.message_user(request, f"Published {len(queryset)} video(s).", messages.SUCCESS)

    @admin.action(description="Unpublish selected videos", permissions=["change"])
    def unpublish(self, request, queryset):
        for video in queryset:
            services.video_unpublish(video=video)
        self.message_user(request, f"Unpublished {len(queryset)} video(s).", messages.SUCCESS)

    @admin.action(description="Re-transcode selected videos", permissions=["change"])
    def retranscode(self, request, queryset):
        queued, busy = [], []
        for video in queryset:
            try:
                services.video_retranscode(video=video)
                queued.append(video.title)
            except services.VideoBusyError:
                busy.append(video.title)
        if queued:
            self.message_user(request, f"Queued {len(queued)} video(s) for transcoding.")
        if busy:
            self.message_user(
                request,
                f"Skipped, transcoding right now: {', '.join(busy)}.",
                messages.WARNING,
            )

    # --- extra views: live status for the page's script, thumbnails for staff -------------

    def get_urls(self):
        return [
            path(
                "status/",
                self.admin_site.admin_view(self.status_view),
                name="catalog_video_status",
            ),
            path(
                "<int:video_id>/thumbnail/",
                self.admin_site.admin_view(self.thumbnail_view),
                name="catalog_video_thumbnail",
            ),
            *super().get_urls(),
        ]

    def status_view(self, request: HttpRequest) -> JsonResponse:
        """`?ids=1,2,3` -> the same status the staff API gives, for the polling script."""
        if not self.has_view_permission(request):
            return JsonResponse({"detail": "You may not view videos."}, status=403)
        parts = request.GET.get("ids", "").split(",")
        ids = [int(part) for part in parts if part.isascii() and part.isdigit()]
        ids = [video_id for video_id in ids if 0 < video_id <= MAX_VIDEO_ID][:200]
        videos = Video.objects.filter(pk__in=ids)
        payload = [VideoStatusOut.from_orm(video).model_dump(mode="json") for video in videos]
        return JsonResponse({"videos": payload})

    def thumbnail_view(self, request: HttpRequest, video_id: int) -> HttpResponse:
        video = Video.objects.filter(pk=video_id).only("thumbnail").first()
        if video is None or not video.thumbnail or not self.has_view_permission(request):
            raise Http404("No thumbnail.")
        url = video_files().stored_file_url(video.thumbnail.name)
        if url:  # in the bucket: the browser loads it from there, not through Python
            return HttpResponseRedirect(url)
        media_root = Path(settings.MEDIA_ROOT)
        file = outputs.servable_file(media_root, media_root, video.thumbnail.name)
        if file is None:
            raise Http404("No thumbnail.")
        return FileResponse(file.path.open("rb"), content_type="image/jpeg")

    # --- columns and read-only fields -------------------------------------------------------

    @admin.display(description="Thumbnail")
    def thumbnail_preview(self, video: Video) -> str:
        if not video.thumbnail:
            return EMPTY
        url = reverse("admin:catalog_video_thumbnail", args=[video.pk])
        version = int(video.updated_at.timestamp())
        return format_html('<img class="vf-thumb" src="{}?v={}" alt="">', url, version)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, video: Video) -> str:
        return format_html(
            '<span class="vf-status vf-status-{}" data-video-id="{}" data-video-status="{}" '
            'data-status-url="{}">{}</span>',
            video.status,
            video.pk,
            video.status,
            reverse("admin:catalog_video_status"),
            video.get_status_display(),
        )

    @admin.display(description="Progress", ordering="progress")
    def progress_percent(self, video: Video) -> str:
        return format_html('<span data-video-progress="{}">{}%</span>', video.pk, video.progress)

    @admin.display(description="Duration", ordering="duration")
    def duration_display(self, video: Video) -> str:
        if video.duration is None:
            return EMPTY
        return clock(video.duration)

    @admin.display(description="Renditions")
    def renditions_display(self, video: Video) -> str:
        return ", ".join(video.renditions) or EMPTY

    @admin.display(description="Playback features")
    def features_display(self, video: Video) -> str:
        features = video.output_features
        if not features:
            return "- (filled in by the transcode)"
        loudness = features.get("loudness")
        if loudness is None:
            sound = "not normalised (no audio, or switched off)"
        elif loudness["integrated_lufs"] is None:
            sound = "silent, no gain"
        else:
            sound = (
                f"measured {loudness['integrated_lufs']:.1f} LUFS, true peak "
                f"{loudness['true_peak_dbtp']:.1f} dBTP; gain {loudness['gain_db']:+.1f} dB "
                f"to {loudness['target_lufs']:g} LUFS"
                + (" (capped at -1 dBTP true peak)" if loudness["peak_limited"] else "")
            )
        encoding = features.get("encoding")
        encoder = (
            f"{encoding['class']} (intra {encoding['complexity']['intra_bits_per_pixel']:.2f} "
            f"bits per pixel in the complexity pass): CRF {encoding['crf']:g}, "
            f"x264 {encoding['x264_params']}"
            if encoding
            else "fixed ladder settings (no per-title choice)"
        )
        rows = [
            ("I-frame playlists", ", ".join(features.get("iframe_playlists", [])) or "none"),
            ("Storyboard", "yes" if features.get("storyboard") else "no"),
            ("Loudness", sound),
            ("Encoder settings", encoder),
        ]
        return format_html(
            '<table class="vf-sizes">{}</table>',
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    @admin.display(description="Size of the top rung")
    def dimensions(self, video: Video) -> str:
        return f"{video.width} x {video.height}" if video.width and video.height else EMPTY

    @admin.display(description="Stream URL")
    def stream_link(self, video: Video) -> str:
        if not video.has_live_output:
            return "- (no output yet)"
        url = stream_path("video_master", video.pk)
        return format_html(
            '<a href="{}">{}</a> (opens with this admin session or a viewer\'s access cookie)',
            url,
            url,
        )

    @admin.display(description="Player")
    def preview_player(self, video: Video) -> str:
        return preview_player_html(video)

    @admin.display(description="Output sizes")
    def output_sizes(self, video: Video) -> str:
        sizes = outputs.output_sizes(video.pk)
        if not sizes:
            return EMPTY
        rows = [*sizes.items(), ("total", sum(sizes.values()))]
        return format_html(
            '<table class="vf-sizes">{}</table>',
            format_html_join(
                "", "<tr><th>{}</th><td>{}</td></tr>", ((n, filesizeformat(b)) for n, b in rows)
            ),
        )

    @admin.display(description="Source metadata")
    def source_metadata_display(self, video: Video) -> str:
        if not video.source_metadata:
            return "- (filled in by the transcode)"
        return format_html(
            '<pre class="vf-metadata">{}</pre>', json.dumps(video.source_metadata, indent=2)
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")
