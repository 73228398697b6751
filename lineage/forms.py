from dataclasses import fields

from django import forms

from registry.models import ArtifactSequence, Run

from .view import View


def filter_choices(user):
    """The artifact types and run job types of what `user` may see, for the filters
    (those of projects hidden from them are not theirs to learn)."""
    types = ArtifactSequence.objects.visible_to(user)
    types = types.order_by("type").values_list("type", flat=True).distinct()
    jobs = Run.objects.visible_to(user).exclude(job_type="").order_by("job_type")
    jobs = jobs.values_list("job_type", flat=True)
    return list(types), list(jobs.distinct())


def _field(f, choices):
    """The form field of one of the view's fields (lineage/view.py)."""
    meta, kind = f.metadata, type(f.default)
    if kind is bool:
        return forms.BooleanField(label=meta["label"], required=False)
    if kind is int:
        return forms.IntegerField(label=meta["label"], min_value=0, max_value=meta["max"])
    return forms.MultipleChoiceField(
        label=meta["label"],
        required=False,
        choices=[(choice, choice) for choice in choices],
        widget=forms.CheckboxSelectMultiple,  # several values without Ctrl-click
    )


class ViewForm(forms.Form):
    """The Custom view, showing `view`. graph.js reads it and writes the view to the page
    URL and the API query in the view's one encoding; the server reads it back with
    View.from_query, so the form itself is never bound."""

    def __init__(self, user, view=None):
        super().__init__(label_suffix="")
        view = view or View()
        types, jobs = filter_choices(user)
        choices = {"artifact_types": types, "job_types": jobs}
        for f in fields(View):
            if f.metadata["on_form"]:
                self.fields[f.name] = _field(f, choices.get(f.name, ()))
                value = getattr(view, f.name)
                self.initial[f.name] = sorted(value) if isinstance(value, frozenset) else value
