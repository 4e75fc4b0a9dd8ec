using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latch.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class WindowsChannel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "OtherUserSignedIn",
                table: "Devices",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "EnrollmentCodes",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    UserId = table.Column<Guid>(type: "uuid", nullable: false),
                    DeviceId = table.Column<Guid>(type: "uuid", nullable: true),
                    CodeHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    IssuedBy = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    IssuedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UsedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EnrollmentCodes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EnrollmentCodes_Users_UserId",
                        column: x => x.UserId,
                        principalTable: "Users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "WindowsEnrollments",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    UserId = table.Column<Guid>(type: "uuid", nullable: false),
                    DeviceId = table.Column<Guid>(type: "uuid", nullable: true),
                    EnrollmentCodeId = table.Column<Guid>(type: "uuid", nullable: false),
                    CertificateThumbprint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CertificateNotAfter = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    PreviousCertificateThumbprint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    DeviceIdentifier = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    HardwareId = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    DeviceType = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    OsEdition = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    EnrollmentType = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    ProtocolVersion = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    State = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    EnrolledAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    EndedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    PushChannelUri = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    PushChannelDeadAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WindowsEnrollments", x => x.Id);
                    table.ForeignKey(
                        name: "FK_WindowsEnrollments_Users_UserId",
                        column: x => x.UserId,
                        principalTable: "Users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_EnrollmentCodes_CodeHash",
                table: "EnrollmentCodes",
                column: "CodeHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_EnrollmentCodes_UserId",
                table: "EnrollmentCodes",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_WindowsEnrollments_CertificateThumbprint",
                table: "WindowsEnrollments",
                column: "CertificateThumbprint",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_WindowsEnrollments_DeviceId",
                table: "WindowsEnrollments",
                column: "DeviceId");

            migrationBuilder.CreateIndex(
                name: "IX_WindowsEnrollments_DeviceIdentifier",
                table: "WindowsEnrollments",
                column: "DeviceIdentifier");

            migrationBuilder.CreateIndex(
                name: "IX_WindowsEnrollments_HardwareId",
                table: "WindowsEnrollments",
                column: "HardwareId");

            migrationBuilder.CreateIndex(
                name: "IX_WindowsEnrollments_PreviousCertificateThumbprint",
                table: "WindowsEnrollments",
                column: "PreviousCertificateThumbprint");

            migrationBuilder.CreateIndex(
                name: "IX_WindowsEnrollments_UserId",
                table: "WindowsEnrollments",
                column: "UserId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EnrollmentCodes");

            migrationBuilder.DropTable(
                name: "WindowsEnrollments");

            migrationBuilder.DropColumn(
                name: "OtherUserSignedIn",
                table: "Devices");
        }
    }
}
