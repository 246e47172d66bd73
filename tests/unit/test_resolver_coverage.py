"""The compatibility check of the GraphQL API: the schema builds from the SDL files, every root
field has a resolver, and the fields not served yet are exactly the listed ones (so the list
shrinks as features land and nothing answers a silent null)."""

from shared.graphql_api.resolvers.unavailable import NOT_YET_SERVED
from shared.graphql_api.schema import executable_schema


def test_every_root_field_has_a_resolver():
    schema = executable_schema()
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        missing = sorted(name for name, field in root.fields.items() if field.resolve is None)
        assert missing == [], f"{root.name} fields without a resolver: {missing}"


def test_the_not_yet_served_list_names_real_fields_once():
    schema = executable_schema()
    for root_name, names in NOT_YET_SERVED.items():
        root = schema.get_type(root_name)
        assert len(names) == len(set(names))
        assert set(names) <= set(root.fields)  # type: ignore[union-attr]


def test_the_core_of_the_contract_is_served():
    served_queries = {
        "user",
        "userProfile",
        "userExists",
        "organization",
        "event",
        "events",
        "eventTickets",
        "eventDiscounts",
        "eventFeeCalculation",
        "order",
        "orders",
        "orderDetails",
        "venue",
        "venues",
        "artist",
        "artists",
        "fees",
        "eventFees",
        "roles",
        "userRoles",
    }
    served_mutations = {
        "createOrganization",
        "updateOrganization",
        "createEvent",
        "updateEvent",
        "publishEvent",
        "createOrderPaymentIntent",
        "createOrder",
        "scanOrder",
        "refundOrder",
        "cancelOrder",
        "refundEventOrders",
        "createRole",
        "acceptRole",
        "connectStripe",
    }
    assert not served_queries & set(NOT_YET_SERVED["Query"])
    assert not served_mutations & set(NOT_YET_SERVED["Mutation"])
