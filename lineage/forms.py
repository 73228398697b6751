from django import forms

from .engine import MAX_HOPS, View, filter_choices

# The page explains how to choose several values in the element with this id.
MULTI = {"aria-describedby": "custom-multi-hint", "size": 4}


class ViewForm(forms.Form):
    """The Custom view, bound from the page's query string: the URL is the view."""

    artifact_types = forms.MultipleChoiceField(
        label="Filter by artifact type", required=False, widget=forms.SelectMultiple(MULTI)
    )
    job_types = forms.MultipleChoiceField(
        label="Filter by run job type", required=False, widget=forms.SelectMultiple(MULTI)
    )
    extended = forms.BooleanField(label="Include extended lineage", required=False)
    generated = forms.BooleanField(label="Include generated artifacts", required=False)
    expand_clusters = forms.BooleanField(label="Expand clusters", required=False)
    downstream = forms.IntegerField(label="Downstream hops", min_value=0, max_value=MAX_HOPS)
    upstream = forms.IntegerField(label="Upstream hops", min_value=0, max_value=MAX_HOPS)

    def __init__(self, data=None):
        defaults = View()
        if data is not None:  # missing hop counts mean the defaults, not an error
            data = data.copy()
            data.setdefault("upstream", defaults.upstream)
            data.setdefault("downstream", defaults.downstream)
        initial = {"upstream": defaults.upstream, "downstream": defaults.downstream}
        super().__init__(data, initial=initial, label_suffix="")
        types, jobs = filter_choices()
        self.fields["artifact_types"].choices = [(t, t) for t in types]
        self.fields["job_types"].choices = [(j, j) for j in jobs]
