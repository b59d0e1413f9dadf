"""The account page on a phone and in a long language: its tables scroll inside their own box."""

from django.urls import reverse


def test_the_account_pages_tables_scroll_inside_their_box(client, org):
    """Seven columns of tickets, three of them dates ("3 de dezembro de 2026, 08:39 UTC" in
    Portuguese), made the whole page scroll sideways even at 1366 pixels."""
    client.force_login(org.csm_a)
    response = client.get(reverse("account-detail", args=[org.account_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<div class="scroll"><table>') == 3  # revenue events, tickets, survey answers
    assert html.count("</table></div>") == 3
