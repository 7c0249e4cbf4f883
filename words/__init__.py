"""The words both front ends speak: the gettext catalogs and the names of the domain's codes.

The bot and the console read the same catalogs (``words/locales``) and name a state, a return
reason or a rules finding with the same sentences, so a family and the staff member beside
them never read two versions of one thing.
"""
