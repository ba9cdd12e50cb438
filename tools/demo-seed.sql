-- demo-seed.sql: the demo business of the dev stack, "Acme Plumbing & Heating".
-- Run by tools/dev up as the owner role with -v business_id=<uuid> after
-- cortana-admin create-business made the business and its owner.

UPDATE businesses SET
    address = '1420 W Fullerton Ave, Chicago, IL 60614',
    owner_phone = '+13125550100',
    service_area = '{"zips": ["60601", "60602", "60605", "60607", "60610", "60611", "60614",
                              "60622", "60625", "60640", "60647", "60657"],
                     "cities": ["Chicago", "Evanston", "Oak Park"], "radius_miles": 15}',
    hours = '{"monday":    [{"open": "08:00", "close": "17:00"}],
              "tuesday":   [{"open": "08:00", "close": "17:00"}],
              "wednesday": [{"open": "08:00", "close": "17:00"}],
              "thursday":  [{"open": "08:00", "close": "17:00"}],
              "friday":    [{"open": "08:00", "close": "17:00"}],
              "saturday":  [{"open": "09:00", "close": "13:00"}],
              "sunday":    []}',
    holidays = '[{"date": "2026-12-25", "name": "Christmas Day"},
                 {"date": "2027-01-01", "name": "New Year''s Day"}]',
    services = '[{"name": "Drain cleaning", "duration_minutes": 60, "price_min": 129, "price_max": 249},
                 {"name": "Water heater repair", "duration_minutes": 90, "price_min": 150, "price_max": 450},
                 {"name": "Water heater installation", "duration_minutes": 240, "price_min": 1200, "price_max": 2800},
                 {"name": "Furnace repair", "duration_minutes": 90, "price_min": 140, "price_max": 600},
                 {"name": "Leak repair", "duration_minutes": 60, "price_min": 120, "price_max": 380}]',
    pricing = '{"service_call_fee": 89,
                "notes": {"en": "Our service call is $89, waived if you go ahead with the repair.",
                          "es": "La visita cuesta 89 dólares y no se cobra si hacemos la reparación."}}',
    ai_personality = '{"assistant_name": "Cortana", "tone": "friendly",
                       "greeting": {"en": "Thanks for calling Acme Plumbing & Heating! This is Cortana, Acme''s AI assistant. How can I help you today?",
                                    "es": "¡Gracias por llamar a Acme Plumbing & Heating! Soy Cortana, la asistente virtual de Acme. ¿En qué le puedo ayudar?"},
                       "voice": {"en": "Polly.Joanna-Neural", "es": "Polly.Lupe-Neural"},
                       "languages": ["en", "es"], "disclose_ai": true, "price_policy": "ranges",
                       "rules": ["Never promise an exact arrival time"]}',
    settings = '{"ack_window_seconds": 300, "overflow_limit": 3, "missed_call_text_back": true,
                 "eta_sms_to_caller": true, "emergency_rules": []}'
WHERE id = :'business_id';

INSERT INTO technicians (business_id, name, phone, role, on_call_order) VALUES
    (:'business_id', 'Dave Kowalski', '+13125550111', 'lead plumber', 1),
    (:'business_id', 'Maria Hernandez', '+13125550112', 'HVAC technician', 2);

INSERT INTO kb_documents (business_id, title, content, language) VALUES
    (:'business_id', 'Financing',
     'We offer financing on water heaters and furnaces over $1,000, with 12 months same as cash for approved customers.',
     'en'),
    (:'business_id', 'Warranty',
     'All repairs carry a one-year parts and labor warranty. New water heater installations carry a six-year tank warranty.',
     'en'),
    (:'business_id', 'Payment methods',
     'We accept cash, checks, and all major credit cards. Payment is due when the job is complete.',
     'en'),
    (:'business_id', 'Garantía',
     'Todas las reparaciones tienen garantía de un año en piezas y mano de obra.',
     'es');
