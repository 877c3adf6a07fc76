"""Is the size of a French local authority decisive for its digital maturity?

The package reads barometer-style survey microdata, scores maturity per theme, and tests the
claim of the 2025 "Baromètre de la maturité numérique des territoires" that size is not
decisive once financial means, human means and political sponsorship are held fixed.

The modules follow the data flow: ``readers`` and ``validation`` (load and check), ``scoring``
(theme scores and the 0-100 index), ``reference`` (the real population frame), ``simulate``
(a synthetic survey with a known truth).
"""

__version__ = "0.1.0"
