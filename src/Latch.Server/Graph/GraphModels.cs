using Latch.Core.Audit;
using Latch.Core.Devices;
using Latch.Core.Users;
using Latch.Server.Graph.OData;

namespace Latch.Server.Graph;

/// <summary>What each Graph collection lets a caller filter, sort and select, under Graph's property names.</summary>
public static class GraphModels
{
    public static readonly ODataModel<Device> ManagedDevice = new ODataModel<Device>()
        .Guid("id", d => d.Id)
        .String("deviceName", d => d.Name, sortable: true)
        .Guid("userId", d => d.OwnerId)
        .String("userPrincipalName", d => d.Owner != null ? d.Owner.UserPrincipalName : null)
        .String("userDisplayName", d => d.Owner != null ? d.Owner.DisplayName : null)
        .String("emailAddress", d => d.Owner != null ? d.Owner.Email : null)
        .String("operatingSystem", ManagedDeviceResource.OperatingSystemOf)
        .String("deviceType", ManagedDeviceResource.DeviceTypeOf)
        .String("managementAgent", ManagedDeviceResource.ManagementAgentOf)
        .String("model", d => d.Model)
        .String("manufacturer", d => d.Manufacturer)
        .String("serialNumber", d => d.SerialNumber)
        .String("imei", d => d.Imei)
        .Boolean("isSupervised", d => d.Supervised)
        .Boolean("azureADRegistered", d => d.AzureAdJoined)
        .Boolean("easActivated", d => d.Channel == ManagementChannel.ExchangeActiveSyncOnly || d.Channel == ManagementChannel.DirectMdmAndExchangeActiveSync)
        .DateTime("lastSyncDateTime", d => d.LastCheckInAt, sortable: true)
        .DateTime("enrolledDateTime", d => d.EnrolledAt)
        .Selectable("id", "deviceName", "userId", "userPrincipalName", "userDisplayName", "emailAddress", "operatingSystem", "osVersion",
            "deviceType", "managementAgent", "deviceEnrollmentType", "managedDeviceOwnerType", "azureADRegistered", "isSupervised",
            "enrolledDateTime", "lastSyncDateTime", "model", "manufacturer", "serialNumber", "imei", "easActivated", "complianceState",
            "deviceActionResults");

    public static readonly ODataModel<User> User = new ODataModel<User>()
        .Guid("id", u => u.Id)
        .String("displayName", u => u.DisplayName, sortable: true)
        .String("userPrincipalName", u => u.UserPrincipalName, sortable: true)
        .String("mail", u => u.Email)
        .Selectable("id", "displayName", "userPrincipalName", "mail");

    public static readonly ODataModel<AuditEvent> AuditEvent = new ODataModel<AuditEvent>()
        .String("activityType", e => e.Kind)
        .String("actor", e => e.Actor)
        .Guid("deviceId", e => e.DeviceId)
        .Guid("deviceActionId", e => e.DeviceActionId)
        .DateTime("activityDateTime", e => e.At, sortable: true)
        .Selectable("id", "activityType", "activityDateTime", "actor", "deviceId", "deviceActionId", "actionRequestId", "displayName");
}
