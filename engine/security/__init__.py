"""Security of the broker: listeners (TLS, SASL), the connection's authentication state, ACLs and SCRAM users.

    listeners.py       which listener speaks which security protocol
    tls.py             SSLContext from Kafka's ssl.* properties; client certificate principals
    tls_transport.py   TLS listeners that send the alert saying why a handshake failed
    jaas.py, sasl.py   SASL mechanisms (PLAIN from the JAAS config, SCRAM) and their settings
    scram.py           SCRAM credentials as Kafka stores them, and the server side of the exchange
    channel.py         one connection's authentication state machine (handshake, re-authentication)
    acl.py             Kafka's ACL model and filters
    authorizer.py      ACL decisions (AclAuthorizer's rules)
    gates.py           what each API needs authorized, checked before its handler
    store.py           ACLs and SCRAM credentials on disk
    broker_security.py all of it for one broker process
"""
