"""The subtitle inline of the video admin: staff attach, rename, replace and remove tracks.

Files are checked in the form, so a refused file shows its reason beside the field and
nothing of the page is saved; the writes go through catalog.subtitles like every other.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.template.defaultfilters import filesizeformat

from catalog import subtitles
from catalog.languages import clean_language
from catalog.models import Subtitle, Video


class SubtitleForm(forms.ModelForm):
    class Meta:
        model = Subtitle
        fields = ["language", "name", "is_default", "file"]
        # No "currently: <link>": MEDIA_URL is not served; the stream route is (with a token).
        widgets = {"file": forms.FileInput(attrs={"accept": ".srt,.vtt"})}
        help_texts = {"file": "SubRip (.srt, converted to WebVTT) or WebVTT (.vtt), UTF-8."}

    def clean_language(self) -> str:
        return clean_language(self.cleaned_data["language"])

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if "file" in self.changed_data and file:
            subtitles.webvtt_from_upload(file)  # raises with the reason
        return file


class SubtitleFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        defaults = [
            form.cleaned_data.get("language", "")
            for form in self.forms
            if form.cleaned_data.get("is_default") and not form.cleaned_data.get("DELETE")
        ]
        if len(defaults) > 1:
            raise ValidationError(
                f"Only one track can be the default; {', '.join(defaults)} are all marked."
            )

    def save_through_services(self, video: Video) -> None:
        """What `save()` would do, through the services; fills in what the admin's change
        message reads (new, changed and deleted objects)."""
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in self.initial_forms:
            stored = Subtitle.objects.get(pk=form.instance.pk)
            if form.cleaned_data.get("DELETE"):
                subtitles.subtitle_delete(subtitle=stored)
                self.deleted_objects.append(stored)
            elif form.has_changed():
                data = {name: form.cleaned_data[name] for name in subtitles.EDITABLE_FIELDS}
                file = form.cleaned_data["file"] if "file" in form.changed_data else None
                subtitles.subtitle_update(subtitle=stored, data=data, file=file)
                self.changed_objects.append((stored, form.changed_data))
        for form in self.extra_forms:
            if form.has_changed() and not form.cleaned_data.get("DELETE"):
                created = subtitles.subtitle_create(
                    video=video,
                    file=form.cleaned_data["file"],
                    **{name: form.cleaned_data[name] for name in subtitles.EDITABLE_FIELDS},
                )
                self.new_objects.append(created)


class SubtitleInline(admin.TabularInline):
    model = Subtitle
    form = SubtitleForm
    formset = SubtitleFormSet
    extra = 1
    fields = ["language", "name", "is_default", "file", "stored"]
    readonly_fields = ["stored"]

    @admin.display(description="Stored as")
    def stored(self, subtitle: Subtitle) -> str:
        if not subtitle.pk:
            return "-"
        try:
            size = filesizeformat(subtitle.file.size)
        except OSError:
            size = "missing"
        return f"WebVTT, {size}"
