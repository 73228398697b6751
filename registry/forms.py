from django import forms

from .models import AuditEvent


class HistoryFilterForm(forms.Form):
    action = forms.ChoiceField(
        label="Action",
        required=False,
        choices=[("", "All actions"), *AuditEvent.Action.choices],
    )
