"""The pages' forms: they only parse what was typed; the rules are the domain's (model
methods), whose refusals `refuse` puts next to the field they name."""

from django import forms

from .models import AuditEvent, Registry, RegistryMember


class HistoryFilterForm(forms.Form):
    action = forms.ChoiceField(
        label="Action",
        required=False,
        choices=[("", "All actions"), *AuditEvent.Action.choices],
    )


class NamesField(forms.CharField):
    """A comma- or space-separated list of names, as a list."""

    def to_python(self, value):
        text = super().to_python(value) or ""
        return list(dict.fromkeys(part for part in text.replace(",", " ").split() if part))

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value


def refuse(form, error, rename=None):
    """Put a domain refusal next to the field it names (`rename` maps the domain's field
    names to this form's); False when it names none of them."""
    field = (rename or {}).get(error.field, error.field)
    if field not in form.fields:
        return False
    form.add_error(field, error.message)
    return True


def choices_field(**kwargs):
    """A drop-down whose value the domain checks (a forged one gets the domain's words)."""
    return forms.CharField(widget=forms.Select, **kwargs)


class RegistrySettingsForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    accepted_types = NamesField(label="Accepted types", help_text="Comma-separated, e.g. model")
    protected_aliases = NamesField(
        label="Protected aliases", required=False, help_text="Only admins set, move or remove them."
    )
    visibility = forms.ChoiceField(choices=Registry.Visibility.choices)


class RegistryCreateForm(RegistrySettingsForm):
    name = forms.CharField(max_length=128)
    field_order = ["name", "description", "accepted_types", "visibility"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["protected_aliases"]


ROLE_CHOICES = [(role.value, role.label) for role in reversed(RegistryMember.Role)]


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.TypedChoiceField(choices=ROLE_CHOICES, coerce=int)


class RoleForm(forms.Form):
    role = forms.TypedChoiceField(choices=ROLE_CHOICES, coerce=int)


class CollectionForm(forms.Form):
    name = forms.CharField(max_length=128)
    type = choices_field()
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, registry, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].widget.choices = [(t, t) for t in registry.accepted_types]


class DescriptionForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class AliasForm(forms.Form):
    alias = forms.CharField(max_length=128)


class LinkForm(forms.Form):
    registry = choices_field()
    collection = forms.CharField(
        max_length=128, help_text="An existing collection, or a new name to create one."
    )
    aliases = NamesField(required=False, help_text="Optional, comma-separated.")

    def __init__(self, registries, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.registries = {registry.name: registry for registry in registries}
        self.fields["collection"].widget.attrs["list"] = "collection-names"
        self.fields["registry"].widget.choices = [(name, name) for name in self.registries]
