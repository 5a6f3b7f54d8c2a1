"""factory_boy factories of the catalog: categories and products.

Other apps' tests import these (``ProductFactory(stock=5, price="9.99")``,
``CategoryFactory(slug="electronics")``). They write through the ORM directly,
which is fine for arranging test data; behaviour under test goes through services.
"""

from decimal import Decimal

import factory

from catalog.models import Category, Product


class CategoryFactory(factory.django.DjangoModelFactory):
    """A category with a unique slug and name; ``slug=`` reuses an existing one."""

    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda category: category.slug.replace("-", " ").title())


class ProductFactory(factory.django.DjangoModelFactory):
    """An active product with a unique SKU and name, priced 10.00 with 100 units in stock."""

    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)
    description = factory.Faker("sentence")
    price = Decimal("10.00")
    stock = 100
    is_active = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Accept prices given as strings or ints (ProductFactory(price="9.99")).
        if "price" in kwargs and not isinstance(kwargs["price"], Decimal):
            kwargs["price"] = Decimal(str(kwargs["price"]))
        return super()._create(model_class, *args, **kwargs)
