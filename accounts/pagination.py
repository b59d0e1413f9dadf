"""Every API list is paginated: ?limit= (default 50, at most 500) and ?offset=."""

from rest_framework.pagination import LimitOffsetPagination


class Pages(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500
