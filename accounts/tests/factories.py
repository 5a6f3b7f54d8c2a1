"""factory_boy factories of accounts."""

import factory

from accounts.models import Address, User

DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    """A customer whose password is ``DEFAULT_PASSWORD`` unless ``password=`` is given."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", DEFAULT_PASSWORD)
        return model_class.objects.create_user(*args, password=password, **kwargs)


class AddressFactory(factory.django.DjangoModelFactory):
    """A saved address of a new customer (pass ``customer=`` for someone's)."""

    class Meta:
        model = Address

    customer = factory.SubFactory(UserFactory)
    full_name = "Ann Lee"
    line1 = factory.Sequence(lambda n: f"{n + 1} Market Street")
    line2 = ""
    city = "San Francisco"
    postal_code = "94105"
    region = "CA"
    country = "US"
    phone = "+14155552671"
    is_default = False
