select
    account_id,
    marketplace,
    legal_entity_inn,
    legal_entity_name,
    legal_entity_id,
    onec_base_id,
    organization_ref
from {{ ref('int_accounts') }}
