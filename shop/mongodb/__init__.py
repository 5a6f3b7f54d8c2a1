"""The shop's MongoDB database engine: django-mongodb-backend with index-friendly sort pipelines.

``ENGINE: "shop.mongodb"`` is django-mongodb-backend (5.2.x) in every respect but one:
the order of the stages it emits around ``$sort`` (``shop.mongodb.query``).
"""
