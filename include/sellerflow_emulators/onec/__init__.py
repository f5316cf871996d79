"""1C:Enterprise 8.3 standard OData emulator for «Управление торговлей 11» infobases.

Serves every base in ``onec_bases`` at ``/<base_id>/odata/standard.odata/``; see
:mod:`.app` for the wire behaviour and :mod:`.entities` for the published objects.
Sources: 1C:Enterprise 8.3.27 Developer Guide §17.4 «Стандартный интерфейс OData» and the
УТ 11.5.20 configuration dump, summarised in shared/docs/sources/yandex-market-megamarket-1c.md
part C.
"""

from sellerflow_emulators.onec.app import create_app
from sellerflow_emulators.onec.ids import contractor_ref, currency_ref, partner_ref, price_type_ref, vat_ref

__all__ = ["contractor_ref", "create_app", "currency_ref", "partner_ref", "price_type_ref", "vat_ref"]
