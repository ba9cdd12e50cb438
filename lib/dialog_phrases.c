/* dialog_phrases.c: the built-in engine's script, English and Spanish
 * (see dialog_phrases.h).
 *
 * Lines are short: they are spoken by <Say> over a phone line. Spanish
 * uses "usted", as a business answering its phone does. No line promises
 * when a technician will arrive: only a booked slot is a commitment. */
#include "dialog_phrases.h"

#include <string.h>

static const char *const phrases[CTN_PH__COUNT][2] = {
    [CTN_PH_AFTER_HOURS] =
        {"We're closed right now. If this is an emergency, tell me and I'll alert the on-call "
         "technician. Otherwise I can book the next opening or take a message.",
         "En este momento estamos cerrados. Si es una emergencia, dígamelo y aviso al técnico de "
         "guardia. Si no, puedo agendar el próximo espacio disponible o tomar un mensaje."},
    [CTN_PH_HOW_HELP] = {"How can I help you?", "¿En qué le puedo ayudar?"},
    [CTN_PH_WHAT_ELSE] = {"{sure} What can I do for you?", "{sure} ¿Qué necesita?"},
    [CTN_PH_ANYTHING_ELSE] = {"Is there anything else I can help you with?",
                              "¿Hay algo más en lo que le pueda ayudar?"},
    [CTN_PH_SILENCE_1] = {"Are you still there?", "¿Sigue ahí?"},
    [CTN_PH_SILENCE_2] = {"{sorry} I can't hear you.", "{sorry} no le escucho."},
    [CTN_PH_NOMATCH_1] = {"{sorry} I didn't quite get that.", "{sorry} no le entendí bien."},
    [CTN_PH_NOMATCH_2] = {"{sorry} I still didn't understand.", "{sorry} todavía no le entendí."},
    [CTN_PH_EXAMPLES] =
        {"You can say things like: book a repair, prices, hours, or leave a message.",
         "Puede decir, por ejemplo: agendar una reparación, precios, horario, o dejar un mensaje."},
    [CTN_PH_YES_OR_NO] = {"Please say yes or no.", "Por favor, diga sí o no."},
    [CTN_PH_VOICEMAIL] =
        {"{sorry} I couldn't help directly. Please leave your name, number and a short message "
         "after the tone, and we'll call you back.",
         "{sorry} no pude ayudarle directamente. Deje su nombre, su número y un mensaje breve "
         "después del tono, y le devolveremos la llamada."},
    [CTN_PH_SPAM] = {"Thank you, but we're not interested. Goodbye.",
                     "Gracias, pero no nos interesa. Adiós."},
    [CTN_PH_WRONG_NUMBER] = {"No problem! You've reached {business}. Have a good day.",
                             "¡No se preocupe! Se comunicó con {business}. Que tenga buen día."},
    [CTN_PH_TRANSFER] = {"{sure} Let me connect you now. Please hold.",
                         "{sure} Le comunico ahora. Un momento, por favor."},
    [CTN_PH_NOBODY] = {"No one is available to take the call right now, so I'll take a message.",
                       "No hay nadie disponible en este momento, así que le tomo un mensaje."},
    [CTN_PH_CLOSED_NOBODY] = {"The office is closed right now, so I'll take a message.",
                              "La oficina está cerrada ahora, así que le tomo un mensaje."},
    [CTN_PH_ASK_PROBLEM] = {"What seems to be the problem?", "¿Cuál es el problema?"},
    [CTN_PH_ASK_NAME] = {"May I have your name?", "¿Me da su nombre, por favor?"},
    [CTN_PH_ASK_NAME_EMERGENCY] = {"And your name, please?", "¿Y su nombre, por favor?"},
    [CTN_PH_ASK_ADDRESS] = {"What's the address for the visit?",
                            "¿Cuál es la dirección de la visita?"},
    [CTN_PH_ASK_ADDRESS_EMERGENCY] = {"What's the address where the technician should go?",
                                      "¿Cuál es la dirección a donde debe ir el técnico?"},
    [CTN_PH_CALLBACK_NOTE] = {"I have %s as your callback number.",
                              "Tengo el %s como su número de contacto."},
    [CTN_PH_ADDRESS_NOTE] = {"Thanks, I have %s as the address.",
                             "Gracias, tengo %s como la dirección."},
    [CTN_PH_ASK_PHONE] = {"What's the best number to reach you?",
                          "¿A qué número le podemos llamar?"},
    [CTN_PH_ASK_TIME] = {"When would you like us to come? I can look for the soonest opening.",
                         "¿Cuándo le gustaría la visita? Puedo buscar el primer espacio "
                         "disponible."},
    [CTN_PH_AFTER_HOURS_BOOK] = {"We're closed right now, so I'll book the next opening during "
                                 "business hours.",
                                 "Ahora estamos cerrados, así que le agendo en el próximo espacio "
                                 "en horario de atención."},
    [CTN_PH_MESSAGE_START] = {"{sure} I'll take a message.", "{sure} Le tomo un mensaje."},
    [CTN_PH_ASK_MESSAGE] = {"What message would you like to leave?", "¿Qué mensaje desea dejar?"},
    [CTN_PH_MESSAGE_TAKEN] = {"{thanks} I've passed your message on, and someone will call you "
                              "back at %s soon.",
                              "{thanks} Ya pasé su mensaje y alguien le devolverá la llamada al "
                              "%s pronto."},
    [CTN_PH_MESSAGE_FAILED] = {"I couldn't save your message, so let me record it instead.",
                               "No pude guardar su mensaje, así que mejor se lo grabo."},
    [CTN_PH_OFFER_FIRST] = {"The soonest opening I have is %s. Does that work for you?",
                            "El primer espacio que tengo es %s. ¿Le funciona?"},
    [CTN_PH_OFFER_NEXT] = {"The next opening I have is %s. Does that work for you?",
                           "El siguiente espacio que tengo es %s. ¿Le funciona?"},
    [CTN_PH_OFFER_AGAIN] = {"Does %s work for you?", "¿Le funciona %s?"},
    [CTN_PH_NOTHING_THEN] = {"I don't have anything open then.",
                             "No tengo espacio en ese horario."},
    [CTN_PH_NO_OPENINGS] = {"I don't see an opening soon, so I'll take a message for the team.",
                            "No veo espacio pronto, así que le tomo un mensaje para el equipo."},
    [CTN_PH_SCHEDULE_DOWN] = {"I can't reach the schedule right now, so I'll take a message for "
                              "the team.",
                              "No puedo consultar la agenda en este momento, así que le tomo un "
                              "mensaje para el equipo."},
    [CTN_PH_SLOT_TAKEN] = {"{sorry} that time was just taken.",
                           "{sorry} ese horario se acaba de ocupar."},
    [CTN_PH_DECLINED] = {"Let me take a message so the office can find a time that works for "
                         "you.",
                         "Le tomo un mensaje para que la oficina busque un horario que le "
                         "convenga."},
    [CTN_PH_BOOKED] = {"You're booked, %s, for %s at %s.",
                       "Listo, %s: quedó agendado para %s en %s."},
    [CTN_PH_BOOK_FAILED] = {"I couldn't save the booking, so I'll take a message for the team.",
                            "No pude guardar la cita, así que le tomo un mensaje para el equipo."},
    [CTN_PH_EMERGENCY_DISPATCHED] = {"This sounds like an emergency. I'm alerting our on-call "
                                     "technician right now.",
                                     "Esto parece una emergencia. Estoy avisando ahora mismo a "
                                     "nuestro técnico de guardia."},
    [CTN_PH_EMERGENCY_NOT_DISPATCHED] = {"This sounds like an emergency. {sorry} I couldn't reach "
                                         "anyone on call right now. I'll take your details, and "
                                         "the team will call you back as soon as they can. If "
                                         "anyone is in danger, call 911.",
                                         "Esto parece una emergencia. {sorry} no pude comunicarme "
                                         "con nadie de guardia en este momento. Tomaré sus datos "
                                         "y el equipo le devolverá la llamada lo antes posible. "
                                         "Si alguien está en peligro, llame al 911."},
    [CTN_PH_SAFETY_GAS] = {"Please leave the house now and call 911 from outside.",
                           "Por favor, salga de la casa ahora y llame al 911 desde afuera."},
    [CTN_PH_SAFETY_ELECTRICAL] = {"Please stay away from the panel, and call 911 if you see "
                                  "flames.",
                                  "Por favor, aléjese del panel y llame al 911 si ve llamas."},
    [CTN_PH_EMERGENCY_VISIT] = {"The technician will call you back shortly.",
                                "El técnico le llamará en breve."},
    [CTN_PH_EMERGENCY_CALLBACK] = {"The team will call you back as soon as they can.",
                                   "El equipo le devolverá la llamada lo antes posible."},
    [CTN_PH_PRICE_NEVER] = {"Every job is different, so the technician gives you an exact quote "
                            "on site before any work starts.",
                            "Cada trabajo es distinto, así que el técnico le da un precio exacto "
                            "en el lugar antes de empezar."},
    [CTN_PH_PRICE_RANGE] = {"%s usually runs between $%d and $%d, depending on the job.",
                            "%s normalmente cuesta entre %d y %d dólares, según el trabajo."},
    [CTN_PH_PRICE_EXACT] = {"%s is $%d.", "%s cuesta %d dólares."},
    [CTN_PH_PRICE_FROM] = {"%s starts at $%d.", "%s empieza en %d dólares."},
    [CTN_PH_PRICE_DEPENDS] = {"Prices depend on the job.", "El precio depende del trabajo."},
    [CTN_PH_PRICE_FEE] = {"The service call is $%d.", "La visita cuesta %d dólares."},
    [CTN_PH_OFFER_BOOK] = {"Would you like me to book a visit?",
                           "¿Quiere que le agende una visita?"},
    [CTN_PH_HOURS] = {"Our hours are %s.", "Nuestro horario es %s."},
    [CTN_PH_AREA_YES] = {"Yes, we serve that area.", "Sí, damos servicio en esa zona."},
    [CTN_PH_AREA_NO] = {"{sorry} that's outside our service area.",
                        "{sorry} esa zona está fuera de nuestra área de servicio."},
    [CTN_PH_AREA_ASK] = {"What's the ZIP code? I'll check it for you.",
                         "¿Cuál es el código postal? Se lo verifico."},
    [CTN_PH_AREA_ASK_LATER] = {"Tell me the ZIP code in a moment and I'll check it.",
                               "Dígame el código postal en un momento y se lo verifico."},
    [CTN_PH_KB_MISS] = {"I don't have that information, but I can take a message and have "
                        "someone call you back. Would you like that?",
                        "No tengo esa información, pero puedo tomar un mensaje para que le "
                        "devuelvan la llamada. ¿Le parece?"},
    [CTN_PH_KB_MISS_SHORT] = {"{sorry} I don't have that information.",
                              "{sorry} no tengo esa información."},
    [CTN_PH_WANT_MESSAGE] = {"Would you like to leave a message?", "¿Quiere dejar un mensaje?"},
    /* Stands in for a name the caller never gave ("You're booked, then, …"). */
    [CTN_PH_THEN] = {"then", "entonces"},
    /* Said once, when the realtime engine's stream broke mid-call: honest
     * and short, then the next question. */
    [CTN_PH_HANDOFF] = {"{sorry} I had a hiccup — let me continue.",
                        "{sorry} tuve un pequeño problema técnico — sigamos."},
    [CTN_PH_TRANSFER_UNANSWERED] = {"{sorry} nobody could pick up. Please leave your name, "
                                    "number and a short message after the tone, and we'll call "
                                    "you back.",
                                    "{sorry} nadie pudo contestar. Deje su nombre, su número y un "
                                    "mensaje breve después del tono, y le devolveremos la "
                                    "llamada."},
    [CTN_PH_BLOCKED] = {"{sorry} we can't take your call. Goodbye.",
                        "{sorry} no podemos atender su llamada. Adiós."},
    [CTN_PH_LINES_BUSY] = {"Thanks for calling {business}. All our lines are busy. Please leave "
                           "your name, number and a message after the tone, and we'll call you "
                           "back.",
                           "Gracias por llamar a {business}. Todas nuestras líneas están "
                           "ocupadas. Deje su nombre, su número y un mensaje después del tono, y "
                           "le devolveremos la llamada."},
    [CTN_PH_RECORDED] = {"{thanks} We got your message and will call you back soon. Goodbye.",
                         "{thanks} Recibimos su mensaje y le devolveremos la llamada pronto. "
                         "Adiós."},
    [CTN_PH_ARRIVAL_BOOKED] = {"Your visit is set for %s. The technician will call you if "
                               "anything changes.",
                               "Su visita quedó para %s. El técnico le llamará si algo cambia."},
    [CTN_PH_ARRIVAL_DISPATCHED] = {"The on-call technician has your number and will text or call "
                                   "you as soon as they're on the way.",
                                   "El técnico de guardia tiene su número y le escribirá o "
                                   "llamará en cuanto vaya en camino."},
};

const char *ctn_dialog_phrase(ctn_phrase_e id, ctn_lang_e lang)
{
    if ((int)id < 0 || id >= CTN_PH__COUNT) {
        return "";
    }
    return phrases[id][lang == CTN_LANG_ES ? 1 : 0];
}

static const struct {
    const char *what;
    const char *hints[2];
} hint_table[] = {
    {"open",
     {"appointment,emergency,leak,flooding,gas,price,hours,message,repair",
      "cita,emergencia,fuga,inundación,gas,precio,horario,mensaje,reparación"}},
    {"yes_no", {"yes,no,that works,another time", "sí,no,está bien,otro horario"}},
    {"address", {"street,avenue,road,drive,apartment", "calle,avenida,número,apartamento"}},
    {"time",
     {"as soon as possible,today,tomorrow,morning,afternoon,Monday,Tuesday,Wednesday,Thursday,"
      "Friday,Saturday",
      "lo antes posible,hoy,mañana,por la mañana,por la tarde,lunes,martes,miércoles,jueves,"
      "viernes,sábado"}},
    {"phone", {"yes,no", "sí,no"}},
};

const char *ctn_dialog_phrase_hints(const char *what, ctn_lang_e lang)
{
    for (size_t i = 0; i < sizeof(hint_table) / sizeof(hint_table[0]); i++) {
        if (strcmp(hint_table[i].what, what) == 0) {
            return hint_table[i].hints[lang == CTN_LANG_ES ? 1 : 0];
        }
    }
    return "";
}
