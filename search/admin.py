from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Sum
from django.utils import timezone

from core.adminlists import LimitedSearchMixin, TailPaginator, YearsFromIndexChangeList

from .models import SearchCount


class ResultFilter(admin.SimpleListFilter):
    title = "results"
    parameter_name = "found"

    def lookups(self, request, model_admin):
        return [("no", "Found nothing"), ("yes", "Found something")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(results=0)
        if self.value() == "yes":
            return queryset.filter(results__gt=0)
        return queryset


class ReportRangeForm(forms.Form):
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def report_range(self, *, today) -> tuple:
        """The days to report (both included): the ones typed, a missing end the last 7 days'.
        Raises ValidationError for a date that is none or a range that ends before it starts
        (it read as "no searches")."""
        since, until = today - timedelta(days=6), today
        if not self.is_bound:
            return since, until
        if not self.is_valid():
            raise forms.ValidationError([e for errors in self.errors.values() for e in errors])
        since = self.cleaned_data["since"] or since
        until = self.cleaned_data["until"] or until
        if since > until:
            raise forms.ValidationError(
                f"The first day of the range is after its last day ({since:%d %b %Y} – "
                f"{until:%d %b %Y})."
            )
        return since, until


@admin.register(SearchCount)
class SearchCountAdmin(LimitedSearchMixin, admin.ModelAdmin):
    """What shoppers search for; the report above the list sums a date range."""

    paginator = TailPaginator

    list_display = ["query", "day", "count", "results"]
    list_filter = [ResultFilter, "day"]
    search_fields = ["query"]
    date_hierarchy = "day"
    ordering = ["-day", "-count"]
    change_list_template = "admin/search/searchcount/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_changelist(self, request, **kwargs):
        return YearsFromIndexChangeList

    def changelist_view(self, request, extra_context=None):
        form = ReportRangeForm(request.GET or None)
        today = timezone.localdate()
        try:
            since, until = form.report_range(today=today)
        except forms.ValidationError as error:
            for text in error.messages:
                self.message_user(
                    request, f"{text} The report shows the last 7 days.", messages.ERROR
                )
            since, until = ReportRangeForm().report_range(today=today)
        window = SearchCount.objects.filter(day__gte=since, day__lte=until)
        top = window.values("query").annotate(total=Sum("count")).order_by("-total", "query")
        extra_context = {
            **(extra_context or {}),
            "report_form": ReportRangeForm(initial={"since": since, "until": until}),
            "report_since": since,
            "report_until": until,
            "report_kept_days": settings.SHOP_SEARCH_COUNT_DAYS,
            "top_queries": list(top[:20]),
            "zero_queries": list(top.filter(results=0)[:20]),
        }
        # the report's own parameters are not list filters
        request.GET = request.GET.copy()
        request.GET.pop("since", None)
        request.GET.pop("until", None)
        return super().changelist_view(request, extra_context)
