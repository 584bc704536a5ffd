from django import forms
from django.core.validators import ProhibitNullCharactersValidator

from .models import AnalysisMode
from .services.bulk import read_target_upload
from .services.investigations import InvestigationError
from .targets import TargetError, parse_target, quoted

MAX_TARGETS_PER_FORM = 1000


class TargetLinesField(forms.CharField):
    """The typed targets as they are, NUL characters included: the form's own check
    names every bad line with its number and reason, where the NUL check every
    ``CharField`` runs first would answer for the whole text alone, without a line."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


class InvestigationForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    targets = TargetLinesField(
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": "github:octocat\ngithub-org:acme\ngithub-repo:owner/name",
            }
        ),
        help_text="One target a line, written kind:value.",
        required=False,
    )
    targets_file = forms.FileField(
        label="Or a file of targets",
        required=False,
        help_text="A text file (one target a line) or a CSV file with a 'target' column, for "
        "lists of hundreds or thousands. Lines that are not valid targets are reported on the "
        "investigation; the others are collected.",
    )
    mode = forms.ChoiceField(choices=AnalysisMode.choices, initial=AnalysisMode.QUICK)
    fresh = forms.BooleanField(
        label="Force fresh data",
        required=False,
        help_text="Ask every source again instead of using answers cached by an earlier "
        "investigation.",
    )

    def clean_targets_file(self) -> list[str]:
        upload = self.cleaned_data.get("targets_file")
        if not upload:
            return []
        try:
            return read_target_upload(upload)
        except InvestigationError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("targets") and not cleaned.get("targets_file"):
            self.add_error("targets", "Give at least one target, or a file of targets.")
        return cleaned

    def clean_targets(self) -> list[str]:
        """The typed targets, or every bad line with its number and reason: the analyst
        fixes them and sends again (a file, the API and the command keep the good
        targets and report the bad ones instead)."""
        numbered = [
            (number, line.strip())
            for number, line in enumerate(self.cleaned_data["targets"].splitlines(), start=1)
            if line.strip()
        ]
        if not numbered:
            return []
        if len(numbered) > MAX_TARGETS_PER_FORM:
            raise forms.ValidationError(f"At most {MAX_TARGETS_PER_FORM} targets a form.")
        errors = []
        for number, line in numbered:
            try:
                parse_target(line)
            except TargetError as exc:
                errors.append(f"Line {number} ({quoted(line)}): {exc}")
        if errors:
            raise forms.ValidationError(errors)
        return [line for _, line in numbered]
