"""Pages of long lists that never count them: Previous and Next, no total.

A project's runs and artifacts and a collection's Action History grow without bound
(388,714 runs, 67,855 sequences, 30,006 events in the benchmark); counting them for
"Page 1 of N" cost more than the page.
A page fetches one row more than it shows: that row says whether a next page exists."""


class LongPage:
    """Page `number` of `rows`, `per_page` a page; the interface of Django's Page that
    templates/registry/partials/_pages.html reads (`paginator` is None: no total)."""

    paginator = None

    def __init__(self, rows, per_page, number):
        self.number = _page_number(number)
        start = (self.number - 1) * per_page
        fetched = list(rows[start : start + per_page + 1])
        self.object_list = fetched[:per_page]
        self._more = len(fetched) > per_page

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def has_next(self):
        return self._more

    def has_previous(self):
        return self.number > 1

    def has_other_pages(self):
        return self.has_next() or self.has_previous()

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1


MAX_PAGE = 10**6  # past it an OFFSET would overflow PostgreSQL's bigint, not find rows


def _page_number(value):
    """`?page=` as a number from 1; anything else is the first page (as Django's get_page)."""
    try:
        return min(max(1, int(value)), MAX_PAGE)
    except (TypeError, ValueError):
        return 1
