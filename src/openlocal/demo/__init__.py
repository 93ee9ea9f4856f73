"""The generated demo place: Wyvernshire, a fictional two-tier county in south-west England.

``openlocal demo`` calls :func:`openlocal.demo.generate.demo_generate`, which builds the
whole place (areas, bodies, categories, assets, staff and a year of requests) from a fixed
random seed through the same services as every other write, so the demo behaves exactly like
real data. Nothing here reads files or the network: a newcomer's machine has neither.
"""
