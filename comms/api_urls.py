from django.urls import path

from . import api

urlpatterns = [
    path("incidents/<int:incident_id>/messages/", api.IncidentMessagesApi.as_view(), name="api-incident-messages"),
    path("incidents/<int:incident_id>/protected-identifiers/", api.IdentifiersApi.as_view(), name="api-identifiers"),
    path("incidents/<int:incident_id>/protected-identifiers/<int:identifier_id>/", api.IdentifierDetailApi.as_view(),
         name="api-identifier-detail"),
    path("incidents/<int:incident_id>/family-informed/", api.FamilyInformedApi.as_view(), name="api-family-informed"),
    path("incidents/<int:incident_id>/media-enquiries/", api.MediaEnquiriesApi.as_view(), name="api-media-enquiries"),
    path("incidents/<int:incident_id>/holding-templates/", api.HoldingTemplatesApi.as_view(),
         name="api-holding-templates"),
    path("messages/<int:message_id>/", api.MessageDetailApi.as_view(), name="api-message-detail"),
    path("messages/<int:message_id>/versions/", api.MessageVersionsApi.as_view(), name="api-message-versions"),
    path("messages/<int:message_id>/diff/", api.MessageDiffApi.as_view(), name="api-message-diff"),
    path("messages/<int:message_id>/deliveries/", api.MessageDeliveriesApi.as_view(), name="api-message-deliveries"),
    path("messages/<int:message_id>/deliveries/retry/", api.MessageRetryDeliveriesApi.as_view(),
         name="api-message-deliveries-retry"),
    path("messages/<int:message_id>/undelivered/seen/", api.MessageUndeliveredSeenApi.as_view(),
         name="api-message-undelivered-seen"),
    path("messages/<int:message_id>/submit/", api.MessageSubmitApi.as_view(), name="api-message-submit"),
    path("messages/<int:message_id>/approve/", api.MessageApproveApi.as_view(), name="api-message-approve"),
    path("messages/<int:message_id>/request-changes/", api.MessageRequestChangesApi.as_view(),
         name="api-message-request-changes"),
    path("messages/<int:message_id>/release/", api.MessageReleaseApi.as_view(), name="api-message-release"),
    path("messages/<int:message_id>/confirm-identifier-parts/", api.MessageConfirmPartsApi.as_view(),
         name="api-message-confirm-identifier-parts"),
    path("messages/<int:message_id>/withdraw/", api.MessageWithdrawApi.as_view(), name="api-message-withdraw"),
    path("messages/<int:message_id>/acknowledge/", api.MessageAcknowledgeApi.as_view(), name="api-message-acknowledge"),
    path("media-enquiries/<int:enquiry_id>/", api.MediaEnquiryDetailApi.as_view(), name="api-media-enquiry-detail"),
    path("inbox/", api.InboxApi.as_view(), name="api-inbox"),
]
