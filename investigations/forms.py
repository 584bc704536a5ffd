from django import forms

from .models import AnalysisMode
from .targets import parse_targets

MAX_TARGETS_PER_FORM = 1000


class InvestigationForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    targets = forms.CharField(
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": "github:octocat\ngithub-org:acme\ngithub-repo:owner/name",
            }
        ),
        help_text="One target a line, written kind:value.",
    )
    mode = forms.ChoiceField(choices=AnalysisMode.choices, initial=AnalysisMode.QUICK)

    def clean_targets(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["targets"].splitlines() if line.strip()]
        if not lines:
            raise forms.ValidationError("Give at least one target.")
        if len(lines) > MAX_TARGETS_PER_FORM:
            raise forms.ValidationError(f"At most {MAX_TARGETS_PER_FORM} targets a form.")
        _, errors = parse_targets(lines)
        if errors:
            raise forms.ValidationError([f"Line {text!r}: {error}" for text, error in errors])
        return lines
