"""Every API list is paginated: ?limit= (default 50, at most 500) and ?offset=."""

from rest_framework.pagination import LimitOffsetPagination


class Pages(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500
    # The OpenAPI description of the parameters and of a page (what they do is DRF's).
    limit_query_description = "Rows per page: default 50, at most 500 (a larger limit gives 500)."
    offset_query_description = "Rows to skip from the start of the list (default 0)."

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        described = {
            "count": "How many rows the whole list has (the same on every page).",
            "next": "The URL of the next page (the same query with `offset` moved on); null on the last page.",
            "previous": "The URL of the previous page; null on the first page.",
            "results": "The rows of this page.",
        }
        for name, text in described.items():
            # DRF's examples name a list of another API (…/accounts/): not this one's.
            fields = {k: v for k, v in page["properties"][name].items() if k != "example"}
            page["properties"][name] = {**fields, "description": text}
        return page
