from django.dispatch import Signal

# Sent once a load has been written and committed: kind, result (activity.services.ImportResult).
data_imported = Signal()
