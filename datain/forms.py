from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from datain.kinds import LOAD_ORDER, kind_label
from datain.sources.mapping import MAX_MAPPING_BYTES, check_mapping, shipped_mapping_text, shipped_mappings
from datain.sources.readers import SOURCES, SourceNotUsable, check_source

SHIPPED_PREFIX = "mapping:"


def _in_words(message: str, **params: str) -> str:
    return gettext(message) % params


# The picker's words are put together when the form is shown, in the reader's language.
_lazy_words = lazy(_in_words, str)
# How an uploaded file is read, as the form's picker offers it: ours, a system's JSON, a shipped mapping.
SOURCE_FORMATS = (
    [("", _("Our own CSV (the data contract)"))]
    + [
        (name, _lazy_words(gettext_noop("%(system)s export (JSON)"), system=s.title))
        for name, s in SOURCES.items()
    ]
    + [
        (
            SHIPPED_PREFIX + name,
            _lazy_words(gettext_noop("%(what)s (mapping %(name)s)"), what=what, name=name),
        )
        for name, what in shipped_mappings().items()
    ]
)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k, kind_label(k)) for k in LOAD_ORDER],
        help_text=_("Load in this order: people, accounts, assignments, then the rest."),
    )
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8, a header row, the columns of the kind (listed below).")
    )
    # another system's own export instead of our format.
    source_format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=SOURCE_FORMATS,
        help_text=_("Our own CSV, another system's own API JSON, or a file read through a shipped mapping."),
    )
    mapping_file = forms.FileField(
        label=_("Mapping file (YAML)"),
        required=False,
        help_text=_("Read the file through your own mapping: column to field, with transforms."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _(
                    "This file is %(size)s; the largest file the page takes is %(limit)s. Split it, or "
                    "load it with the import_data command on the server."
                ),
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        return upload

    def clean(self):
        """Decide how the file is read: ``source_format`` (a system's JSON), ``mapping`` (a YAML text)."""
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean returns
        kind, source = cleaned.get("kind"), cleaned.get("source_format") or ""
        cleaned["mapping"] = ""
        upload = cleaned.get("mapping_file")
        if upload is not None:
            if source:
                self.add_error("mapping_file", _("Choose a format or a mapping file, not both."))
                return cleaned
            if upload.size > MAX_MAPPING_BYTES:
                self.add_error("mapping_file", _("A mapping file has at most 64 KB."))
                return cleaned
            try:
                cleaned["mapping"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("mapping_file", _("The mapping file is not UTF-8 text."))
                return cleaned
            cleaned["source_format"] = "mapping"
        elif source.startswith(SHIPPED_PREFIX):
            cleaned["mapping"] = shipped_mapping_text(source[len(SHIPPED_PREFIX) :])
        if not kind:
            return cleaned
        try:
            if cleaned["mapping"]:
                check_mapping(kind=kind, text=cleaned["mapping"])
            elif source:
                check_source(kind=kind, source=source)
        except SourceNotUsable as exc:
            field = "mapping_file" if upload is not None else "source_format"
            for problem in getattr(exc, "problems", [str(exc)]):
                self.add_error(field, problem)
        return cleaned
