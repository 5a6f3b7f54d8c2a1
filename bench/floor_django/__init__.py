"""The second floor: Django with a single view returning a fixed JSON body.

Django's request cycle (WSGI handler, URL resolver, ``JsonResponse``) and no more:
no installed apps, no database, no middleware. The shop's middleware, DRF, JWT
authentication and database work are what the shop's ratio to this floor measures.
"""
