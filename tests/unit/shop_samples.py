"""A shop application's text fields, shared by the service and the handler tests."""

SHOP_PROFILE = {
    "name": "Corner Bakery",
    "description": "Bread every morning.",
    "address": "1 Clock Street",
    "pickup_point": "At the counter",
    "district": "Old Town",
    "phone": "+86 571 8650 1234",
}
