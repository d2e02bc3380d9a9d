"""Recommendations (issue 17, item 7): "your usual" and "you may like".

- lift: item-to-item co-occurrence with lift, in numpy over all members.
- compute: the nightly job (`manage.py compute_recommendations`) that reads
  order lines in one SQL aggregate, scores, assigns the holdout and stores.
- shown: what a page may show a member now (consent, holdout, sold out,
  the store's menu), in a constant number of queries.
- results: shown against holdout members, for the admin report.
"""
