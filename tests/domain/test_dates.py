from datetime import date, datetime, timezone

import pytest

from liaison import dates


@pytest.mark.parametrize(
    "day, fiscal_year",
    [(date(2025, 3, 31), 2024), (date(2025, 4, 1), 2025), (date(2026, 3, 31), 2025), (date(2026, 1, 1), 2025)],
)
def test_fiscal_year_runs_april_to_march(day, fiscal_year):
    assert dates.fiscal_year_of(day) == fiscal_year


def test_fiscal_year_of_a_utc_datetime_uses_the_tokyo_day():
    # 2025-03-31 16:00 UTC is already 2025-04-01 01:00 in Tokyo: the new fiscal year.
    assert dates.fiscal_year_of(datetime(2025, 3, 31, 16, 0, tzinfo=timezone.utc)) == 2025


def test_japanese_date_formats():
    assert dates.format_date(date(2025, 4, 1)) == "令和7年4月1日(火)"  # always 和暦 in Japanese (issue 20)
    assert dates.format_date(date(2025, 4, 1), wareki=True) == "令和7年4月1日(火)"
    assert dates.format_date(date(2019, 5, 1), wareki=True) == "令和元年5月1日(水)"
    assert dates.format_date(date(2019, 4, 30), wareki=True) == "平成31年4月30日(火)"
    assert dates.fiscal_year_label(2025) == "令和7年度"
    assert dates.fiscal_year_label(2019) == "令和元年度"
    assert dates.fiscal_year_label(2018) == "平成30年度"
    assert dates.format_datetime(datetime(2025, 4, 1, 5, 0, tzinfo=timezone.utc)) == "令和7年4月1日(火) 14:00"


def test_days_off_include_weekends_and_public_holidays():
    assert dates.is_day_off(date(2025, 11, 3))  # 文化の日 (Monday)
    assert dates.holiday_name(date(2025, 11, 3)) == "文化の日"
    assert dates.is_day_off(date(2025, 11, 8))  # Saturday
    assert not dates.is_day_off(date(2025, 11, 4))
