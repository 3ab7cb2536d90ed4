"""The filter sidebars' fields rendered in Python (kam.templatetags.kam_ui.filter_field)."""

from __future__ import annotations

from django import forms
from django.utils import translation

from accounts.choices import Tier
from kam.templatetags.kam_ui import filter_field


class SampleFilterForm(forms.Form):
    q = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": "Name"}))
    score = forms.DecimalField(required=False, min_value=0, max_value=100)
    tier = forms.ChoiceField(required=False, choices=[("", "---------"), *Tier.choices])
    tiers = forms.MultipleChoiceField(
        required=False, choices=Tier.choices, widget=forms.CheckboxSelectMultiple
    )
    codes = forms.MultipleChoiceField(required=False, choices=[("a", "<b>A & co</b>"), ("b", "B")])


def _html(data: dict[str, object], name: str) -> str:
    form = SampleFilterForm(data)
    form.is_valid()
    return str(filter_field(form[name]))


def test_a_select_marks_the_chosen_option_and_escapes_labels() -> None:
    html = _html({"tier": "key"}, "tier")
    assert '<option value="key" selected>' in html
    assert '<option value="strategic">' in html
    assert 'class="select form-select"' in html and 'name="tier"' in html
    # Nothing chosen: the empty option is marked, as Django's Select marks it.
    assert '<option value="" selected>---------</option>' in _html({}, "tier")
    codes = _html({"codes": ["a"]}, "codes")
    assert " multiple" in codes
    assert '<option value="a" selected>&lt;b&gt;A &amp; co&lt;/b&gt;</option>' in codes
    assert "<b>A" not in codes


def test_fixed_options_follow_the_active_language() -> None:
    assert "Strategic" in _html({}, "tier")
    with translation.override("zh-hans"):
        assert "战略客户" in _html({}, "tier")
    assert "Strategic" in _html({}, "tier")


def test_checkboxes_inputs_and_errors() -> None:
    boxes = _html({"tiers": ["core"]}, "tiers")
    assert 'value="core" id="id_tiers_2" checked' in boxes
    assert 'value="key" id="id_tiers_1">' in boxes
    text = _html({"q": 'x" onmouseover="y'}, "q")
    assert 'value="x&quot; onmouseover=&quot;y"' in text and 'placeholder="Name"' in text
    bad = _html({"score": "abc"}, "score")
    assert "is-invalid" in bad and 'type="number"' in bad
    assert '<span class="invalid-feedback d-block"><strong>Enter a number.</strong></span>' in bad


def test_the_fast_date_filters_write_what_the_date_filter_writes(settings) -> None:
    import datetime as dt

    from django.template import engines

    settings.TIME_ZONE = "Asia/Shanghai"
    engine = engines["django"]
    slow = engine.from_string('{{ v|date:"Y-m-d" }}|{{ v|date:"Y-m-d H:i" }}|{{ v|date:"c" }}')
    fast = engine.from_string(
        "{% load kam_ui %}{{ v|iso_day }}|{{ v|iso_minute }}|{{ v|iso_datetime }}"
    )
    aware = dt.datetime(2026, 12, 31, 17, 5, 9, 123, tzinfo=dt.UTC)  # 01:05 next day in Beijing
    for value in (aware, dt.datetime(2026, 5, 6, 7, 8), None, ""):
        assert fast.render({"v": value}) == slow.render({"v": value})
    assert fast.render({"v": aware}).startswith("2027-01-01|2027-01-01 01:05|")
