using System.Text.Json.Serialization;
using Latch.Core.Data;
using Latch.Core.Groups;
using Latch.Server.Auth;
using Latch.Server.Graph.OData;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Graph;

/// <summary>
/// <c>/v1.0/groups</c>: the built-in computed groups of SPEC §1 and administrators' static groups, and
/// <c>/groups/{id}/members</c> (devices, or users for user groups).
/// </summary>
public static class GroupsApi
{
    private static readonly ODataModel<GroupSummary> GroupModel = new ODataModel<GroupSummary>()
        .Guid("id", g => g.Id)
        .String("displayName", g => g.Name, sortable: true)
        .Boolean("latchBuiltIn", g => g.IsBuiltIn)
        .Selectable("id", "displayName", "description", "latchBuiltIn", "latchParentId", "latchMemberKind");

    public static void MapGroups(this IEndpointRouteBuilder app)
    {
        var groups = app.MapGroup("/v1.0/groups").RequireAuthorization(Policies.Read);
        groups.MapGet("/", async (HttpContext http, GroupDirectory directory) =>
            await GraphList.PageAsync(http, (await directory.ListAsync(http.RequestAborted)).AsQueryable(), GroupModel, g => g.Id,
                list => Task.FromResult<IReadOnlyList<GroupResource>>(list.Select(GroupResource.From).ToList()), "groups"));
        groups.MapGet("/{id:guid}", async Task<Results<Ok<GroupResource>, NotFound<GraphErrorBody>>> (Guid id, HttpContext http, GroupDirectory directory) =>
            (await directory.ListAsync(http.RequestAborted)).FirstOrDefault(g => g.Id == id) is { } group
                ? TypedResults.Ok(GroupResource.From(group))
                : TypedResults.NotFound(NoGroup(id)));
        groups.MapGet("/{id:guid}/members", MembersAsync);
    }

    private static async Task<Results<ContentHttpResult, BadRequest<GraphErrorBody>, NotFound<GraphErrorBody>>> MembersAsync(
        Guid id, HttpContext http, GroupDirectory directory, LatchDbContext db)
    {
        var group = (await directory.ListAsync(http.RequestAborted)).FirstOrDefault(g => g.Id == id);
        if (group is null) return TypedResults.NotFound(NoGroup(id));

        Results<ContentHttpResult, BadRequest<GraphErrorBody>> page;
        if (group.MemberKind == GroupMemberKind.Users)
        {
            var users = group.Id == BuiltInGroups.AllUsers.Id
                ? db.Users.AsNoTracking()
                : db.Users.AsNoTracking().Where(u => db.GroupUsers.Any(m => m.GroupId == id && m.UserId == u.Id));
            page = await GraphList.PageAsync(http, users, GraphModels.User, u => u.Id,
                list => Task.FromResult<IReadOnlyList<MemberResource>>(list.Select(u => new MemberResource("#microsoft.graph.user", u.Id.ToString(), u.DisplayName)).ToList()),
                "directoryObjects");
        }
        else
        {
            var devices = (await directory.DevicesInAsync(id, http.RequestAborted))!.AsNoTracking().Include(d => d.Owner);
            page = await GraphList.PageAsync(http, devices, GraphModels.ManagedDevice, d => d.Id,
                list => Task.FromResult<IReadOnlyList<MemberResource>>(list.Select(d => new MemberResource("#microsoft.graph.managedDevice", d.Id.ToString(), d.Name)).ToList()),
                "directoryObjects");
        }
        return page.Result switch
        {
            ContentHttpResult ok => ok,
            BadRequest<GraphErrorBody> bad => bad,
            _ => throw new InvalidOperationException("Unexpected list result."),
        };
    }

    private static GraphErrorBody NoGroup(Guid id) => GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no group with id '{id}'.");
}

public sealed record GroupResource
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("displayName")] public required string DisplayName { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("latchBuiltIn")] public bool LatchBuiltIn { get; init; }
    [JsonPropertyName("latchParentId")] public string? LatchParentId { get; init; }
    [JsonPropertyName("latchMemberKind")] public required string LatchMemberKind { get; init; }

    public static GroupResource From(GroupSummary group) => new()
    {
        Id = group.Id.ToString(), DisplayName = group.Name, Description = group.Description, LatchBuiltIn = group.IsBuiltIn,
        LatchParentId = group.ParentId?.ToString(), LatchMemberKind = group.MemberKind == GroupMemberKind.Devices ? "devices" : "users",
    };
}

/// <summary>A group member as a Graph directory object: a managed device or a user.</summary>
public sealed record MemberResource(
    [property: JsonPropertyName("@odata.type")] string ODataType,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("displayName")] string DisplayName);
