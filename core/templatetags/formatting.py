"""``{% load formatting %}``: numbers, percentages and money the reader's language's way (core.formatting,
Babel): ``{{ x|number:2 }}`` "1.234,50" (es), ``{{ x|number:"-2" }}`` up to two decimals (none for a
whole number), ``{{ n|integer }}``, ``{{ p|percent }}`` "94 %" (es; the value in percent, ``|percent:1``
with one decimal)."""

from decimal import Decimal

from django import template

from core import formatting

register = template.Library()


@register.filter
def number(value, decimals=2):
    d = int(decimals)
    if d < 0:  # "-2": up to two decimals, none for a whole number (like floatformat)
        try:
            whole = Decimal(str(value)) == Decimal(str(value)).to_integral()
        except ArithmeticError:
            return ""
        d = 0 if whole else -d
    return formatting.number(value, d)


@register.filter
def integer(value):
    return formatting.integer(value)


@register.filter
def percent(value, decimals=0):
    return formatting.percent(value, int(decimals))
